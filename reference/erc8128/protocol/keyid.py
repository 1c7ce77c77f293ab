"""The ``keyid`` signature parameter of both profiles, parsed strictly into an :class:`Account`.

- ``draft`` (ERC-8128 §3.3.1): ``eip155:<chain-id>:<address>``, canonical CAIP-10.
- ``legacy`` (February text §3.3.1): ``erc8128:<chain-id>:<address>``.

Python traps avoided here: ``\\d`` and ``str.isdigit`` accept non-ASCII digits, ``$`` matches
before a final newline, ``int()`` accepts ``+``, ``_`` and surrounding spaces. The patterns below
use explicit ASCII classes with ``re.fullmatch``.
"""

import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

from erc8128.errors import Erc8128Error

ProfileName = Literal["draft", "legacy"]
# Both profile names, the newest text first (the one a verifier prefers when it accepts both).
PROFILE_NAMES: Final[tuple[ProfileName, ...]] = get_args(ProfileName)

# CAIP-2 limits a chain reference to 32 characters ("[-_a-zA-Z0-9]{1,32}"); for eip155 it is the
# decimal chain id. Decision D3 (SPEC.md): both profiles accept 1 to 32 ASCII digits with no
# leading zero.
_CHAIN_ID: Final = r"(?:0|[1-9][0-9]{0,31})"

# ERC-8128 §3.3.1: "`<chain-id>` MUST be the unsigned base-10 chain ID from EIP-155, with no
# leading zeroes. `<address>` MUST be `0x` followed by exactly 40 lowercase hexadecimal characters."
_DRAFT_KEYID: Final = re.compile(rf"eip155:({_CHAIN_ID}):(0x[0-9a-f]{{40}})")

# February text §3.3.1: "`<address>` is a 20-byte Ethereum address encoded as `0x` + 40 hex
# characters. [...] Verifiers MUST treat address hex as case-insensitive."
_LEGACY_KEYID: Final = re.compile(rf"erc8128:({_CHAIN_ID}):(0x[0-9a-fA-F]{{40}})")

_KEYID: Final[dict[str, re.Pattern[str]]] = {"draft": _DRAFT_KEYID, "legacy": _LEGACY_KEYID}
_PREFIX: Final[dict[str, str]] = {"draft": "eip155", "legacy": "erc8128"}


class InvalidKeyId(Erc8128Error):
    """A ``keyid`` that is not the profile's syntax (reason ``invalid_keyid``)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_keyid", message)


@dataclass(frozen=True)
class Account:
    """An Ethereum account on one chain: the Signer and Principal named by a ``keyid``."""

    chain_id: int
    address: str  # "0x" + 40 lowercase hex

    @property
    def signer_id(self) -> str:
        """The canonical CAIP-10 Signer ID, ``eip155:<chain-id>:<address>``.

        ERC-8128 §3.3.1: "Verifiers MUST use this canonical form for cache and replay keys."
        Decision D4 (SPEC.md): the legacy profile uses the same canonical form for its replay
        keys, so one nonce cannot be spent once per profile on a verifier that accepts both.
        """
        return f"eip155:{self.chain_id}:{self.address}"

    @property
    def chain(self) -> str:
        """The CAIP-2 chain id, ``eip155:<chain-id>``."""
        return f"eip155:{self.chain_id}"


def parse_keyid(keyid: str, profile: ProfileName) -> Account:
    """Parse a ``keyid`` String of the given profile, or raise :class:`InvalidKeyId`."""
    if not isinstance(keyid, str):
        raise InvalidKeyId(f"expected a String keyid, got {type(keyid).__name__}")
    match = _KEYID[profile].fullmatch(keyid)
    if match is None:
        prefix = _PREFIX[profile]
        raise InvalidKeyId(
            f"expected {prefix}:<chain-id>:0x<40 hex> ({profile}), got {keyid!r}"
        )
    chain_digits, address = match.groups()
    return Account(chain_id=int(chain_digits), address=address.lower())


def format_keyid(account: Account, profile: ProfileName) -> str:
    """The canonical ``keyid`` of ``account`` in ``profile``: lowercase address, no leading 0."""
    return f"{_PREFIX[profile]}:{account.chain_id}:{account.address}"
