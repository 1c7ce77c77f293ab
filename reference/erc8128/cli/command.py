"""How a sub-command module plugs into ``erc8128``: its parser under the top-level one, with
``func`` set to the function that runs it, and for the few that also run alone (``bench`` as
benchmarks/bench_crypto.py, ``serve`` under the profiler) the same options on a parser of their
own.
"""

import argparse
from collections.abc import Callable, Sequence
from typing import Any

# A sub-command's body: the parsed options in, the exit status out.
Run = Callable[[argparse.Namespace], int]


def add_command(
    subparsers: Any, name: str, run: Run, *, summary: str, description: str | None = None
) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` (``summary`` in ``erc8128 --help``) answered by ``run``;
    the caller adds its options to the parser returned."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=summary, description=description
    )
    parser.set_defaults(func=run)
    return parser


def run_alone(
    prog: str,
    description: str | None,
    configure: Callable[[argparse.ArgumentParser], None],
    run: Run,
    argv: Sequence[str] | None,
) -> int:
    """Parse ``argv`` with the options ``configure`` adds, as the program ``prog``, and run."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    configure(parser)
    return run(parser.parse_args(argv))
