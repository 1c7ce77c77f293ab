"""Solidity contract ABI encoding, for the few calls ERC-1271 and ERC-6492 verification makes.

Solidity ABI specification, "Formal Specification of the Encoding": a tuple is encoded as the
heads of its elements followed by the tails; a static element (``address``, ``bytes32``) is its
own 32-byte head; a dynamic ``bytes`` element has as head the byte offset of its tail, counted
from the start of the tuple's encoding, and as tail its length as ``uint256`` followed by the bytes
right-padded with zeros to a multiple of 32.

- ERC-1271: ``isValidSignature(bytes32 _hash, bytes memory _signature)``, selector
  ``0x1626ba7e``, which is also the magic value a valid call returns.
- ERC-6492: the wrapper ``abi.encode(create2Factory, factoryCalldata, originalERC1271Signature)``
  followed by the 32-byte magic suffix ``0x6492…6492``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from erc8128.errors import Erc8128Error
from erc8128.protocol.accounts import ERC6492_MAGIC_SUFFIX

WORD_BYTES: Final = 32
# ERC-1271: "bytes4(keccak256("isValidSignature(bytes32,bytes)")" = 0x1626ba7e.
ERC1271_SELECTOR: Final = bytes.fromhex("1626ba7e")
# ERC-1271: "MUST return the bytes4 magic value 0x1626ba7e when function passes." As an ABI
# return value a bytes4 is left-aligned in one 32-byte word.
ERC1271_MAGIC_VALUE: Final = ERC1271_SELECTOR + bytes(WORD_BYTES - len(ERC1271_SELECTOR))


class AbiEncodingError(Erc8128Error):
    """A value that does not fit the ABI type asked for (reason ``abi_value``)."""

    def __init__(self, message: str) -> None:
        super().__init__("abi_value", message)


@dataclass(frozen=True)
class Word:
    """One static 32-byte ABI head (an ``address``, ``bytes32`` or ``uint256``)."""

    value: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.value, bytes):
            raise AbiEncodingError(f"expected bytes, got {type(self.value).__name__}")
        if len(self.value) != WORD_BYTES:
            raise AbiEncodingError(f"expected a 32-byte word, got {len(self.value)} bytes")


def uint256_word(value: int) -> Word:
    """A ``uint256``: big-endian, 32 bytes."""
    if type(value) is not int:
        raise AbiEncodingError(f"expected an int, got {type(value).__name__}")
    if not 0 <= value < 2**256:
        raise AbiEncodingError(f"expected 0 <= value < 2**256, got {value}")
    return Word(value.to_bytes(WORD_BYTES, "big"))


def address_word(address: bytes) -> Word:
    """An ``address``: 20 bytes, left-padded with zeros to 32."""
    if not isinstance(address, bytes):
        raise AbiEncodingError(f"expected address bytes, got {type(address).__name__}")
    if len(address) != 20:
        raise AbiEncodingError(f"expected a 20-byte address, got {len(address)} bytes")
    return Word(bytes(WORD_BYTES - 20) + address)


def bytes32_word(value: bytes) -> Word:
    """A ``bytes32``: exactly 32 bytes, as they are."""
    return Word(value)


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % WORD_BYTES)


def encode_arguments(arguments: Sequence[Word | bytes]) -> bytes:
    """``abi.encode`` of a tuple of static words (:class:`Word`) and dynamic ``bytes``."""
    head_size = WORD_BYTES * len(arguments)
    heads: list[bytes] = []
    tails: list[bytes] = []
    tail_offset = head_size
    for argument in arguments:
        if isinstance(argument, Word):
            heads.append(argument.value)
            continue
        if not isinstance(argument, bytes):
            raise AbiEncodingError(f"expected Word or bytes, got {type(argument).__name__}")
        # "enc(X) = enc(k) pad_right(X)": the length, then the bytes padded to whole words.
        tail = uint256_word(len(argument)).value + _padded(argument)
        heads.append(uint256_word(tail_offset).value)
        tails.append(tail)
        tail_offset += len(tail)
    return b"".join(heads) + b"".join(tails)


def encode_is_valid_signature(message_hash: bytes, signature: bytes) -> bytes:
    """Calldata of ERC-1271 ``isValidSignature(bytes32 _hash, bytes _signature)``."""
    return ERC1271_SELECTOR + encode_arguments([bytes32_word(message_hash), signature])


def encode_erc6492_wrapper(factory: bytes, factory_calldata: bytes, signature: bytes) -> bytes:
    """ERC-6492: ``abi.encode(create2Factory, factoryCalldata, originalERC1271Signature)`` ‖
    ``magicBytes``; what a signer sends for a counterfactual (not yet deployed) account."""
    encoded = encode_arguments([address_word(factory), factory_calldata, signature])
    return encoded + ERC6492_MAGIC_SUFFIX
