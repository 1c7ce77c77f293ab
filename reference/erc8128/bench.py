"""``erc8128 bench``: median timings of the crypto core, with peers as ratios (placeholder)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="time the crypto core on this machine and compare with installed peers"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("bench: not yet implemented")
    return 0
