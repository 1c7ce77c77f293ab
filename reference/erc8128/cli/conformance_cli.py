"""``erc8128 conformance``: run the conformance suite against an adapter or a live server.

Two ways in (conformance/README.md): ``--adapter "CMD"`` runs every vector through a
long-lived adapter process speaking the adapter protocol; ``--target URL`` signs fresh requests
and checks a running server's answers. The suite itself (package ``erc8128_conformance``) runs on
pytest, which is imported only here, when the command runs: the reference implementation keeps
to the standard library.
"""

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from erc8128.cli.command import add_command
from erc8128.cli.options import PROFILE_CHOICES, add_tested_profiles
from erc8128.client.keys import parse_private_key
from erc8128.errors import Erc8128Error


def add_parser(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "conformance", run,
        summary="run the ERC-8128 conformance suite against an adapter or a live server",
        description=(
            "Run the ERC-8128 conformance suite. --adapter runs the JSON vectors through an "
            "adapter process (JSON lines on stdin/stdout); --target checks a live server."
        ),
    )
    parser.add_argument("--adapter", metavar="CMD", help='adapter command, e.g. "python -m '
                        'erc8128 adapter" (split like a POSIX shell would)')
    parser.add_argument("--target", metavar="URL", action="append",
                        help="base URL of a live server, e.g. http://127.0.0.1:8128 (its trusted "
                        "scheme and authority); repeat it for other instances of the same "
                        "deployment (one shared replay store), which the replay race also sends "
                        "to, with the first URL's Host")
    parser.add_argument("--path", default="/api/whoami",
                        help="live mode: the documented signed endpoint (default /api/whoami)")
    parser.add_argument("--post-path", metavar="PATH",
                        help="live mode: a signed POST endpoint taking a JSON body, for the "
                        "content checks (Content-Digest); without it they are not run")
    parser.add_argument("--chain-rpc", metavar="URL", help="live mode: also run the chain "
                        "checks (ERC-1271, ERC-6492, EIP-7702) on this dev chain's JSON-RPC URL, "
                        "the node the server's --rpc names")
    parser.add_argument("--chain-funder-key", metavar="HEX", help="live chain checks: the "
                        "funded key that deploys the test contracts (default: anvil's first "
                        "public dev key)")
    add_tested_profiles(parser)
    parser.add_argument("--ops", metavar="OP,OP", help="only these operations (e.g. "
                        "keccak256,verify_request; 'replay' selects replay sequences)")
    parser.add_argument("--strict", action="store_true",
                        help="acceptable cases must match the reference outcome too")
    parser.add_argument("--expected-failures", metavar="FILE", type=Path,
                        help="JSON list of case ids expected to fail (with reason and spec "
                        "sentence); the run fails if the list and reality differ")
    parser.add_argument("--timeout", metavar="SEC", type=float, default=10.0,
                        help="per-case timeout in seconds (default 10)")
    parser.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
    parser.add_argument("--report-json", metavar="FILE", type=Path,
                        help="also write every case's outcome (failures with input, expected, "
                        "got) as JSON")
    parser.add_argument("--html", metavar="FILE", type=Path,
                        help="also write the grouped report as a static HTML page")
    parser.add_argument("--vectors", metavar="DIR", type=Path,
                        help="vectors folder (default: the installed erc8128_vectors)")


def _install_command() -> str:
    """The one command that adds the suite's dependencies to the interpreter running now: the
    checkout's own extra when erc8128 runs from a source tree (scripts/demo, scripts/test)."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "conformance").is_dir():
        return f"{sys.executable} -m pip install -e '{root}[conformance]'"
    return f"{sys.executable} -m pip install 'erc8128[conformance]'"


def run(args: argparse.Namespace) -> int:
    if args.adapter is None and args.target is None:
        print("erc8128 conformance: give --adapter CMD and/or --target URL", file=sys.stderr)
        return 2
    try:
        plugin = importlib.import_module("erc8128_conformance.plugin")
        runner = importlib.import_module("erc8128_conformance.runner")
        expected = importlib.import_module("erc8128_conformance.expected_failures")
        cases = importlib.import_module("erc8128_conformance.cases")
        importlib.import_module("jsonschema")  # every adapter answer is checked against a schema
    except ImportError as error:
        print(f"erc8128 conformance: the suite needs pytest and jsonschema ({error}); install "
              f"them with: {_install_command()}", file=sys.stderr)
        return 2
    expected_failures: dict[str, Any] = {}
    if args.expected_failures is not None:
        try:
            expected_failures = expected.load_expected_failures(args.expected_failures)
        except expected.ExpectedFailuresError as error:
            print(f"erc8128 conformance: {error}", file=sys.stderr)
            return 2
    ops = None
    if args.ops:
        ops = frozenset(name.strip() for name in args.ops.split(",") if name.strip())
        known = {spec.op for spec in cases.OPERATION_TABLE.values()} | {"replay"}
        unknown = sorted(ops - known)
        if unknown:
            print(f"erc8128 conformance: unknown operation(s) {unknown}; expected some of "
                  f"{sorted(known)}", file=sys.stderr)
            return 2
    for option, value in (("--path", args.path), ("--post-path", args.post_path)):
        if value is not None and not value.startswith("/"):
            print(f"erc8128 conformance: expected {option} to start with '/', got {value!r}",
                  file=sys.stderr)
            return 2
    if args.timeout <= 0:
        print(f"erc8128 conformance: expected --timeout > 0, got {args.timeout}", file=sys.stderr)
        return 2
    chain_funder_key = None
    if args.chain_rpc is not None and args.target is None:
        print("erc8128 conformance: --chain-rpc needs --target URL", file=sys.stderr)
        return 2
    if args.chain_funder_key is not None and args.chain_rpc is None:
        print("erc8128 conformance: --chain-funder-key needs --chain-rpc URL", file=sys.stderr)
        return 2
    if args.chain_rpc is not None and "draft" not in PROFILE_CHOICES[args.profile]:
        print("erc8128 conformance: the chain checks sign draft-profile requests; expected "
              "--profile draft or both with --chain-rpc", file=sys.stderr)
        return 2
    if args.chain_funder_key is not None:
        try:  # the key syntax every other command reads (the message never repeats the key)
            chain_funder_key = parse_private_key(args.chain_funder_key)
        except Erc8128Error as error:
            print(f"erc8128 conformance: --chain-funder-key: {error.message}", file=sys.stderr)
            return 2
    options = plugin.SuiteOptions(
        adapter=args.adapter,
        target=args.target[0] if args.target else None,
        instances=tuple(args.target[1:]) if args.target else (),
        profiles=PROFILE_CHOICES[args.profile],
        ops=ops,
        strict=args.strict,
        expected_failures=expected_failures,
        timeout=args.timeout,
        vectors_dir=args.vectors,
        path=args.path,
        post_path=args.post_path,
        report_json=args.report_json,
        html=args.html,
        chain_rpc=args.chain_rpc,
        chain_funder_key=chain_funder_key,
    )
    status: int = runner.run(options, junit_xml=args.junit_xml)
    return status
