"""``erc8128 inspect``: read a raw HTTP request and explain its ERC-8128 verification step by step
(SPEC.md §4, "Verification"; ERC-8128 §4).

What is printed is verify_request's own step trace
(:func:`erc8128.protocol.verify.explain_request`): each numbered SPEC.md step it reached, per
candidate, what it looked at, its verdict, and the values it computed (``M``, ``H``). Nothing here
re-implements a step, so what is printed and what is decided cannot diverge. The only commentary is
r, s, v and the address they recover.
"""

import argparse
import re
import sys
import time
from typing import Any, TextIO

from erc8128.chain.rpc import RpcAccountState
from erc8128.cli.command import add_command
from erc8128.cli.options import add_rpc, add_served_chains, rpc_pairs, served_chain_ids
from erc8128.crypto.personal_sign import recover_address
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.http.origin import parse_origin
from erc8128.http.paste import FORMATS, HarEntryRequired, Paste, as_text, parse_paste
from erc8128.http.raw_request import RawRequestError
from erc8128.http.structured_fields import Item, parse_dictionary
from erc8128.protocol.accounts import AccountState
from erc8128.protocol.inspection import ProfileChoice, inspect_paste, server_answer
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import TraceStep


def _print_steps(
    out: TextIO, steps: tuple[TraceStep, ...], signatures: dict[str, bytes]
) -> None:
    """verify_request's own trace, one line per numbered step, grouped by candidate."""
    label: str | None = None
    for step in steps:
        if step.label != label:
            label = step.label
            print(f"\n  candidate {label!r}", file=out)
        mark = "ok  " if step.verdict == "pass" else "FAIL"
        print(f"  {mark} step {step.step:>2} {step.title}: {step.looked_at}", file=out)
        if step.verdict == "fail":
            print(f"         {step.reason}: {step.detail}", file=out)
        if step.step == 15 and step.value is not None:
            print("         M =", file=out)
            for line in step.value.split("\n"):
                print(f"           {line}", file=out)
            print(f"         len(M) = {len(step.value.encode('ascii'))} bytes", file=out)
        if step.step == 16 and step.value is not None:
            print(f'         H = keccak256("\\x19Ethereum Signed Message:\\n" || len(M) || M) = '
                  f"{step.value}", file=out)
        if step.step == 17 and step.label in signatures:
            _print_recovery(out, steps, step.label, signatures[step.label])


def _print_recovery(
    out: TextIO, steps: tuple[TraceStep, ...], label: str, signature: bytes
) -> None:
    """Commentary on step 17: r, s, v and the address they recover (not part of the verdict)."""
    message_hash = next(
        (s.value for s in steps if s.step == 16 and s.label == label and s.value), None
    )
    if message_hash is None or len(signature) != 65:
        return
    signer_id = next(
        (s.value for s in steps if s.step == 7 and s.label == label and s.value), ""
    )
    claimed = signer_id.rpartition(":")[2]
    r, s_value, v = signature[:32], signature[32:64], signature[64]
    print(f"         S = 0x{signature.hex()} (65 bytes: r || s || v)", file=out)
    print(f"         r = 0x{r.hex()}\n         s = 0x{s_value.hex()}\n         v = {v}", file=out)
    try:
        recovered = recover_address(bytes.fromhex(message_hash[2:]), signature)
    except Erc8128Error as error:
        print(f"         recovery: {error.reason}: {error.message}", file=out)
        return
    same = recovered.lower() == claimed.lower()
    print(
        f"         recovered address {recovered}: "
        f"{'equals' if same else 'DIFFERS FROM'} the keyid address",
        file=out,
    )


def explain(
    paste: Paste, *, public_url: str | None, now: int, profile: ProfileChoice,
    served_chains: frozenset[int], out: TextIO, accounts: AccountState | None = None,
) -> bool:
    """Print verify_request's own step trace for ``paste`` to ``out``; True if it verifies."""
    policy = VerifierPolicy(served_chains=served_chains)
    raw = paste.raw
    print(f"[1] the request as received (RFC 9112), read as: {paste.format_title}", file=out)
    if paste.entry is not None:
        print(f"    HAR entry {paste.entry} of {len(paste.entries)} (--entry N chooses another)",
              file=out)
    print(f"    {raw.request_line}", file=out)
    for line in raw.header_lines:
        print(f"    {as_text(line)}", file=out)
    print(f"    content: {len(raw.body)} bytes", file=out)
    trusted = None
    if public_url is not None:
        origin = parse_origin(public_url)
        trusted = (origin.scheme, origin.authority)
    inspection = inspect_paste(paste, now=now, policy=policy, public_url=trusted,
                               profile=profile, accounts=accounts)
    request = inspection.request
    print(f"    scheme {inspection.scheme} ({inspection.scheme_from}); authority "
          f"{inspection.authority} ({inspection.authority_from})", file=out)
    if public_url is None:
        print("    no --public-url: the origin comes from the paste (a real verifier takes it "
              "from its configuration)", file=out)
    if inspection.scheme_note is not None:
        print(f"    {inspection.scheme_note}", file=out)
    print(f"    target URI: {request.target_uri}", file=out)
    for label, description in inspection.member_profiles:
        print(f"    member {label}: {description}", file=out)
    print(f"    judged under profile {', '.join(inspection.profiles)} "
          f"({inspection.profile_from})", file=out)

    print(f"\n[2] verify_request at now = {now}, step by step (SPEC.md §4; a fresh replay "
          f"store)", file=out)
    explanation = inspection.explanation
    _print_steps(out, explanation.steps, _signatures(request))

    print("\n[3] verdict", file=out)
    error, verified = explanation.error, explanation.verified
    if error is not None:
        print(f"    REJECTED: {error.reason} (HTTP {error.status})", file=out)
        print(f"    {error.message}", file=out)
        for failure in error.candidate_failures:
            print(f"    candidate {failure.label!r}: {failure.reason}: {failure.message}",
                  file=out)
        if error.reason in ("request_expired", "request_not_yet_valid"):
            created = _created_of(explanation.steps)
            if created is not None:
                print("    a capture read at another time than it was signed: to check the rest "
                      f"of it, run again with --now {created}", file=out)
        _print_server_answer(out, paste, error.reason)
        return False
    assert verified is not None
    binding = "request-bound" if verified.request_bound else "class-bound"
    replay = "replayable" if verified.replayable else "non-replayable"
    print(f"    VERIFIED ({verified.profile} signature): label {verified.label!r}, signer "
          f"{verified.keyid}", file=out)
    print(f"    account verification: {verified.verification_method} "
          f"({verified.code_lookups} code lookup(s))", file=out)
    print(f"    {binding}, {replay}; nonce consumed: {verified.nonce_consumed}", file=out)
    _print_server_answer(out, paste, None)
    return True


def _print_server_answer(out: TextIO, paste: Paste, refused: str | None) -> None:
    """What the server answered, when the paste shows it, and why this verdict may differ."""
    answer = server_answer(paste, refused)
    if answer is None:
        return
    print(f"    the server answered: {answer.said}", file=out)
    if answer.why is not None:
        print(f"    the verdicts differ: {answer.why}", file=out)


def _created_of(steps: tuple[TraceStep, ...]) -> str | None:
    """The ``created`` time the failing step 8 read (its looked-at text), if it names one."""
    for step in steps:
        if step.step == 8 and step.verdict == "fail":
            found = re.search(r"\bcreated=(\d+)", step.looked_at)
            if found is not None:
                return found.group(1)
    return None


def _signatures(request: Request) -> dict[str, bytes]:
    """The Signature field's Byte Sequences by label, for the r/s/v commentary (none if the
    field does not parse: the trace then shows step 3 failing)."""
    try:
        members = parse_dictionary(", ".join(request.field_lines("signature")))
    except Erc8128Error:
        return {}
    return {
        label: member.value
        for label, member in members
        if isinstance(member, Item) and isinstance(member.value, bytes)
    }


def add_parser(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "inspect", run,
        summary="explain, step by step, how a raw HTTP request verifies",
        description="Read a signed request (FILE, or stdin without one) and explain its ERC-8128 "
        "verification: fields, candidates, signature base, hash, recovered address, verdict. "
        "Formats: " + ", ".join(FORMATS.values()) + ".",
    )
    parser.add_argument("file", metavar="FILE", nargs="?", default="-",
                        help="the request in any of the formats above, or - for stdin "
                        "(the default: paste, then Ctrl-D)")
    parser.add_argument("--public-url", help="trusted scheme://authority (default: what the "
                        "paste says; an unsaid scheme is tried as https, then http)")
    parser.add_argument("--entry", type=int, help="the HAR entry to inspect (0-based)")
    parser.add_argument("--now", type=int, help="verifier clock, Unix seconds (default: now)")
    parser.add_argument("--profile", choices=("auto", "draft", "legacy", "both"), default="auto",
                        help="judge under this profile (default auto: detected from each "
                        "member's keyid form and tag)")
    add_served_chains(parser)
    add_rpc(parser)


def run(args: argparse.Namespace) -> int:
    if args.file == "-":
        if sys.stdin.isatty():
            print("erc8128 inspect: reading the request from stdin: paste it, then Ctrl-D",
                  file=sys.stderr)
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as request_file:
                data = request_file.read()
        except OSError as error:
            raise RawRequestError("file_unreadable", f"expected {args.file}, got {error}") from None
    now = int(time.time()) if args.now is None else args.now
    rpc = dict(rpc_pairs(args.rpc))
    accounts = RpcAccountState.from_urls(rpc) if rpc else None
    served = frozenset(
        served_chain_ids(args.chains, accounts.chain_ids if accounts is not None else ())
    )
    try:
        paste = parse_paste(data, entry=args.entry)
    except HarEntryRequired as error:
        print(f"erc8128: {error}; choose one with --entry N:", file=sys.stderr)
        for entry in error.entries:
            mark = "  (signed)" if entry.signed else ""
            print(f"  {entry.index}: {entry.method} {entry.url}{mark}", file=sys.stderr)
        return 2
    verified = explain(
        paste,
        public_url=args.public_url,
        now=now,
        profile=args.profile,
        served_chains=served,
        out=sys.stdout,
        accounts=accounts,
    )
    return 0 if verified else 1
