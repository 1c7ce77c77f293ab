"""The options several commands share, each defined once: ``--profile``, ``--chain`` /
``--chain-id`` and ``--rpc``, and how a verifier reads its served chains from them.

A verifier (``serve``, ``inspect``) accepts one profile or both and serves a set of chains; a
signer (``keygen``, ``request``, ``sign``) signs under one profile for one chain; the
conformance suite tests one profile or both. ``--chain`` and ``--chain-id`` are two spellings of
the same option everywhere.
"""

import argparse
from collections.abc import Iterable, Sequence
from typing import Final

from erc8128.errors import ConfigError
from erc8128.protocol.keyid import ProfileName

# What each --profile value selects, for commands that accept one profile or both.
PROFILE_CHOICES: Final[dict[str, tuple[ProfileName, ...]]] = {
    "draft": ("draft",),
    "legacy": ("legacy",),
    "both": ("draft", "legacy"),
}
_RPC_METAVAR: Final = "eip155:ID=URL"


def add_verifier_profiles(parser: argparse.ArgumentParser) -> None:
    """``--profile draft|legacy|both`` (default draft): the profile(s) a verifier accepts."""
    parser.add_argument("--profile", choices=("draft", "legacy", "both"), default="draft",
                        help="ERC-8128 profile(s) accepted: draft, legacy or both (default "
                        "draft)")


def add_tested_profiles(parser: argparse.ArgumentParser) -> None:
    """``--profile draft|legacy|both`` (default both): the profile(s) the conformance suite
    tests."""
    parser.add_argument("--profile", choices=sorted(PROFILE_CHOICES), default="both",
                        help="ERC-8128 profile(s) to test: draft, legacy or both (default both)")


def add_signer_profile(parser: argparse.ArgumentParser) -> None:
    """``--profile draft|legacy`` (default draft): the profile a signer signs under."""
    parser.add_argument("--profile", choices=("draft", "legacy"), default="draft",
                        help="ERC-8128 profile to sign under: draft or legacy (default draft)")


def add_served_chains(parser: argparse.ArgumentParser) -> None:
    """``--chain ID`` / ``--chain-id ID``, repeatable, into ``chains`` (None when not given)."""
    parser.add_argument("--chain", "--chain-id", type=int, action="append", dest="chains",
                        default=None, metavar="ID",
                        help="served chain id, repeatable (default: every --rpc chain, else 1)")


def add_signer_chain(parser: argparse.ArgumentParser) -> None:
    """``--chain-id ID`` / ``--chain ID`` (default 1), into ``chain_id``: the signer's chain."""
    parser.add_argument("--chain-id", "--chain", type=int, default=1, dest="chain_id",
                        metavar="ID", help="EIP-155 chain id of the signer (default 1)")


def add_rpc(parser: argparse.ArgumentParser) -> None:
    """``--rpc eip155:ID=URL``, repeatable, into ``rpc`` (None when not given)."""
    parser.add_argument("--rpc", action="append", default=None, metavar=_RPC_METAVAR,
                        help="JSON-RPC node of a served chain, repeatable: verify smart "
                        "accounts (ERC-1271, ERC-6492, EIP-7702) on that chain; without it "
                        "every account is treated as code-free")


def rpc_pairs(values: Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    """The ``--rpc`` values as (CAIP-2 chain, url) pairs, in the order given."""
    pairs: list[tuple[str, str]] = []
    for value in values or ():
        chain, separator, url = value.partition("=")
        if not separator or not url:
            raise ConfigError("rpc_invalid", f"expected --rpc eip155:<id>=<url>, got {value!r}")
        pairs.append((chain, url))
    return tuple(pairs)


def served_chain_ids(chains: Sequence[int] | None, rpc_chain_ids: Iterable[int]) -> tuple[int, ...]:
    """A verifier's served chains: ``--chain`` when given, else every chain with an ``--rpc``
    node, else chain 1."""
    if chains:
        return tuple(chains)
    return tuple(sorted(rpc_chain_ids)) or (1,)
