"""EIP-1559 and EIP-7702 typed transactions (EIP-2718 envelopes), signed for the live chain checks.

The suite deploys its test contracts and sets an EIP-7702 delegation on a dev chain itself, with
a funded key it is given, so it needs no unlocked node account: it builds the transaction, signs
``keccak256(type || rlp(fields))`` with the repository's secp256k1 and sends the raw bytes.

- EIP-1559: ``0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas,
  gas_limit, destination, amount, data, access_list, signature_y_parity, signature_r,
  signature_s])``; an empty ``destination`` creates a contract.
- EIP-7702: ``0x04 || rlp([chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas,
  gas_limit, destination, value, data, access_list, authorization_list, signature_y_parity,
  signature_r, signature_s])``, each authorization ``[chain_id, address, nonce, y_parity, r, s]``
  signed by its authority over ``keccak256(MAGIC || rlp([chain_id, address, nonce]))``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from erc8128.crypto.keccak import keccak256
from erc8128.crypto.secp256k1 import sign
from erc8128.errors import Erc8128Error
from erc8128_conformance.rlp import RlpItem, rlp_encode

__all__ = [
    "EIP1559_TX_TYPE",
    "EIP7702_TX_TYPE",
    "SET_CODE_MAGIC",
    "Authorization",
    "FeeMarketTransaction",
    "SetCodeTransaction",
    "TransactionError",
    "authorization_hash",
    "sign_authorization",
]

EIP1559_TX_TYPE: Final = b"\x02"
# EIP-7702: "SET_CODE_TX_TYPE 0x04", "MAGIC 0x05".
EIP7702_TX_TYPE: Final = b"\x04"
SET_CODE_MAGIC: Final = b"\x05"


class TransactionError(Erc8128Error):
    """A transaction field the suite cannot encode (wrong address length, negative value...)."""


def _address(address: str) -> bytes:
    data = bytes.fromhex(address[2:]) if address.startswith("0x") else b""
    if len(data) != 20:
        raise TransactionError(
            "transaction_invalid", f"expected 0x + 40 hex digits, got {address!r}"
        )
    return data


def authorization_hash(chain_id: int, address: str, nonce: int) -> bytes:
    """EIP-7702: the authority signs ``keccak(MAGIC || rlp([chain_id, address, nonce]))``."""
    return keccak256(SET_CODE_MAGIC + rlp_encode([chain_id, _address(address), nonce]))


@dataclass(frozen=True)
class Authorization:
    """One signed EIP-7702 authorization tuple: delegate ``address``'s code to the authority."""

    chain_id: int
    address: str
    nonce: int
    y_parity: int
    r: int
    s: int

    def rlp_item(self) -> RlpItem:
        return [self.chain_id, _address(self.address), self.nonce, self.y_parity, self.r, self.s]


def sign_authorization(
    authority_key: bytes, chain_id: int, address: str, nonce: int
) -> Authorization:
    """The authority's authorization to run ``address``'s code (its account nonce ``nonce``)."""
    signature = sign(authority_key, authorization_hash(chain_id, address, nonce))
    return Authorization(chain_id, address, nonce, signature.recovery_id, signature.r, signature.s)


def _signed_envelope(tx_type: bytes, fields: Sequence[RlpItem], private_key: bytes) -> bytes:
    # EIP-1559 / EIP-7702: "The signature_y_parity, signature_r, signature_s elements of this
    # transaction represent a secp256k1 signature over keccak256(TYPE || rlp([...]))".
    signature = sign(private_key, keccak256(tx_type + rlp_encode(fields)))
    return tx_type + rlp_encode([*fields, signature.recovery_id, signature.r, signature.s])


@dataclass(frozen=True)
class FeeMarketTransaction:
    """An EIP-1559 transaction; ``to=None`` deploys ``data`` as init code."""

    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: str | None
    value: int
    data: bytes

    def fields(self) -> list[RlpItem]:
        destination = b"" if self.to is None else _address(self.to)
        return [
            self.chain_id, self.nonce, self.max_priority_fee_per_gas, self.max_fee_per_gas,
            self.gas_limit, destination, self.value, self.data, [],
        ]

    def signed(self, private_key: bytes) -> bytes:
        """The raw transaction for ``eth_sendRawTransaction``."""
        return _signed_envelope(EIP1559_TX_TYPE, self.fields(), private_key)


@dataclass(frozen=True)
class SetCodeTransaction:
    """An EIP-7702 transaction: ``to`` is required ("the transaction is invalid if destination
    is nil") and ``authorizations`` must not be empty."""

    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: str
    value: int
    data: bytes
    authorizations: tuple[Authorization, ...]

    def fields(self) -> list[RlpItem]:
        # EIP-7702: "The transaction is also considered invalid when the length of
        # authorization_list is zero."
        if not self.authorizations:
            raise TransactionError(
                "transaction_invalid", "expected at least one authorization, got none"
            )
        return [
            self.chain_id, self.nonce, self.max_priority_fee_per_gas, self.max_fee_per_gas,
            self.gas_limit, _address(self.to), self.value, self.data, [],
            [authorization.rlp_item() for authorization in self.authorizations],
        ]

    def signed(self, private_key: bytes) -> bytes:
        """The raw transaction for ``eth_sendRawTransaction``."""
        return _signed_envelope(EIP7702_TX_TYPE, self.fields(), private_key)
