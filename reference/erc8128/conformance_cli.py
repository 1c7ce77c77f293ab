"""``erc8128 conformance``: run the conformance suite against an adapter or a live server."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "conformance", help="run the ERC-8128 conformance suite (work in progress)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("conformance: not yet implemented")
    return 2
