"""``erc8128 keygen``: a new secp256k1 key for an agent (ERC-8128 §3.3.1 keyid), stored safely.

The key file is created with ``os.open(..., O_CREAT | O_EXCL, 0o600)``: readable by its owner
only from the first byte, and an existing file is never overwritten. The key is printed only on
explicit request (``--show-private-key``); the address and keyid are public and always printed.
"""

import argparse
import os
from typing import Any

from erc8128.cli.command import add_command
from erc8128.cli.options import add_signer_chain, add_signer_profile
from erc8128.client import ClientError, Signer, format_private_key

KEY_FILE_MODE = 0o600


def write_key_file(path: str, signer: Signer) -> None:
    """Write ``signer``'s key to a NEW file ``path`` with mode 0600 (never overwrites)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise ClientError(
            "key_file_exists", f"expected no file at {path}, found one (not overwritten)"
        ) from None
    except OSError as error:
        raise ClientError(
            "key_file_unwritable", f"expected to create {path}, got {error}"
        ) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        # The mode given to os.open is reduced by the umask; 0600 is asked for again in case
        # a permissive ACL or umask interfered with the owner-only intent.
        os.fchmod(key_file.fileno(), KEY_FILE_MODE)
        key_file.write(format_private_key(signer.private_key) + "\n")


def add_parser(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "keygen", run,
        summary="generate an agent key; print its address and keyid",
        description="Generate a secp256k1 key. The key goes to --out (mode 0600, never "
        "overwritten) and is printed only with --show-private-key.",
    )
    parser.add_argument("--out", metavar="FILE", help="write the key to FILE (created, mode 0600)")
    add_signer_chain(parser)
    add_signer_profile(parser)
    parser.add_argument(
        "--show-private-key", action="store_true", help="also print the private key (secret!)"
    )


def run(args: argparse.Namespace) -> int:
    if args.out is None and not args.show_private_key:
        raise ClientError(
            "key_destination_missing",
            "expected --out FILE or --show-private-key, got neither (the key would be lost)",
        )
    signer = Signer.generate(chain_id=args.chain_id, profile=args.profile)
    if args.out is not None:
        write_key_file(args.out, signer)
        print(f"key file: {args.out} (mode 0600)")
    print(f"address:  {signer.address}")
    print(f"keyid:    {signer.keyid}")
    if args.show_private_key:
        print(f"private key: {format_private_key(signer.private_key)}")
    return 0
