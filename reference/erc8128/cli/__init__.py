"""The ``erc8128`` command line: one sub-command per module, each registered here.

A sub-command module provides ``add_parser(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed namespace and returning the exit status).
"""

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from erc8128._version import __version__
from erc8128.errors import Erc8128Error

__all__ = ["main"]

# Modules that contribute sub-commands, in the order `erc8128 --help` lists them.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "erc8128.cli.bench",
    "erc8128.cli.adapter",
    "erc8128.cli.conformance_cli",
    "erc8128.cli.keygen_cli",
    "erc8128.cli.request_cli",
    "erc8128.cli.inspect_cli",
    "erc8128.cli.serve_cli",
    "erc8128.cli.demo_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="erc8128",
        description="ERC-8128 Signed HTTP Requests with Ethereum: reference tools.",
    )
    parser.add_argument("--version", action="version", version=f"erc8128 {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        status: int = func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
    except Erc8128Error as error:
        print(f"erc8128: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our output left (`erc8128 keygen ... | head -1`): stop quietly, as Unix
        # tools do, and point stdout at /dev/null so that the interpreter's final flush does
        # not raise again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the signal
    return status


if __name__ == "__main__":
    sys.exit(main())
