"""``erc8128 inspect``: read a raw HTTP request and explain its ERC-8128 verification step by step
(SPEC.md §4, "Verification"; ERC-8128 §4).

The explanation recomputes each value a verifier uses — the parsed fields, the candidates, the
rebuilt signature base ``M``, ``H``, the address recovered from the signature — and then runs
:func:`erc8128.verify.verify_request` itself for the verdict, so what is printed and what is
decided never diverge: the verdict is the verifier's, the rest is commentary on it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from erc8128.accounts import AccountState, NoCodeAccountState
from erc8128.content_digest import verify_content_digest
from erc8128.errors import Erc8128Error, VerificationError
from erc8128.keyid import ProfileName, parse_keyid
from erc8128.message import Request, request_from_wire
from erc8128.nonces.memory import MemoryReplayStore
from erc8128.personal_sign import personal_message_hash, recover_address
from erc8128.policy import VerifierPolicy
from erc8128.profiles import DRAFT, LEGACY
from erc8128.rpc import RpcAccountState
from erc8128.signature_base import signature_base
from erc8128.structured_fields import (
    Dictionary,
    InnerList,
    get_param,
    parse_dictionary,
    serialize_item,
)
from erc8128.verify import verify_request

__all__ = ["RawRequest", "add_parser", "explain", "parse_raw_request", "run"]


class RawRequestError(Erc8128Error):
    """Input that is not a raw HTTP/1.1 request (request line, header lines, blank line)."""


@dataclass(frozen=True)
class RawRequest:
    """An HTTP/1.1 request as read from a file: lines decoded as latin-1, content as bytes."""

    request_line: str
    header_lines: tuple[str, ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for line in self.header_lines:
            field_name, _, value = line.partition(":")
            if field_name.lower() == name.lower():
                return value.strip(" \t")
        return None


def parse_raw_request(data: bytes) -> RawRequest:
    """Split raw bytes into request line, header lines and content.

    RFC 9112 §6.3: with ``Content-Length`` the content is exactly that many octets (text after
    them, such as a final newline added by an editor, is ignored); without it, and without
    ``Transfer-Encoding``, "the message body length is zero".
    """
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, rest = data.partition(separator)
        if found:
            break
    else:
        head, rest = data.rstrip(b"\r\n"), b""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    if not lines or not lines[0]:
        raise RawRequestError("raw_request_empty", "expected a request line, got nothing")
    raw = RawRequest(lines[0], tuple(lines[1:]), b"")
    length_text = raw.header("content-length")
    if length_text is None:
        return raw
    if not length_text.isascii() or not length_text.isdigit():
        raise RawRequestError(
            "content_length_invalid", f"expected Content-Length digits, got {length_text!r}"
        )
    length = int(length_text)
    if len(rest) < length:
        raise RawRequestError(
            "content_truncated", f"expected {length} content bytes, got {len(rest)}"
        )
    return RawRequest(raw.request_line, raw.header_lines, rest[:length])


def _step(out: TextIO, number: str, title: str) -> None:
    print(f"\n[{number}] {title}", file=out)


def _try(out: TextIO, action: Callable[[], str]) -> bool:
    try:
        print(f"    {action()}", file=out)
        return True
    except Erc8128Error as error:
        print(f"    FAILS: {error.reason}: {error.message}", file=out)
        return False


def _explain_candidate(
    out: TextIO, request: Request, label: str, member: InnerList, *,
    signatures: dict[str, Any], policy: VerifierPolicy, now: int,
) -> None:
    params = member.params
    print(f"  candidate {label!r}", file=out)
    covered = [serialize_item(item) for item in member.items]
    print(f"    covered components: {' '.join(covered)}", file=out)
    for key, value in params:
        print(f"    parameter {key} = {value!r}", file=out)
    keyid = get_param(params, "keyid")
    claimed: str | None = None
    if isinstance(keyid, str):
        try:
            profile: ProfileName = "legacy" if keyid.startswith("erc8128:") else "draft"
            account = parse_keyid(keyid, profile)
            claimed = account.address
            served = "served" if account.chain_id in policy.served_chains else "NOT served"
            print(
                f"    step 7, keyid → chain {account.chain_id} ({served}), "
                f"address {account.address}",
                file=out,
            )
        except Erc8128Error as error:
            print(f"    keyid FAILS: {error.reason}: {error.message}", file=out)
    created, expires = get_param(params, "created"), get_param(params, "expires")
    if isinstance(created, int) and isinstance(expires, int):
        skew = policy.skew_sec
        inside = created - skew <= now <= expires + skew
        print(
            f"    step 8, window: created - skew = {created - skew} <= now = {now} <= "
            f"expires + skew = {expires + skew}: {'inside' if inside else 'OUTSIDE'}; validity "
            f"{expires - created} s (route maximum {policy.max_validity_sec} s)",
            file=out,
        )
    digest = request.field_lines("content-digest")
    if digest:
        print("    step 12, Content-Digest (RFC 9530) against the received content:", file=out)
        _try(out, lambda: "matches: " + ", ".join(
            verify_content_digest(request.body or b"", ", ".join(digest))))
    print("    step 15, signature base M (RFC 9421 §2.5), rebuilt from the received request:",
          file=out)
    try:
        base = signature_base(request, member)
    except Erc8128Error as error:
        print(f"    FAILS: {error.reason}: {error.message}", file=out)
        return
    for line in base.split("\n"):
        print(f"      {line}", file=out)
    message = base.encode("ascii")
    message_hash = personal_message_hash(message)
    print(f"    len(M) = {len(message)} bytes", file=out)
    print(
        f'    step 16, H = keccak256("\\x19Ethereum Signed Message:\\n{len(message)}" || M) = '
        f"0x{message_hash.hex()}",
        file=out,
    )
    signature = signatures.get(label)
    if signature is None or not isinstance(signature.value, bytes):
        print(f"    no Signature member {label!r} holding a Byte Sequence", file=out)
        return
    signature_bytes = signature.value
    print(f"    S = 0x{signature_bytes.hex()} ({len(signature_bytes)} bytes: r || s || v)",
          file=out)
    try:
        recovered = recover_address(message_hash, signature_bytes)
    except Erc8128Error as error:
        print(f"    recovery FAILS: {error.reason}: {error.message}", file=out)
        return
    same = claimed is not None and recovered.lower() == claimed.lower()
    print(
        f"    step 17, recovered address {recovered}: "
        f"{'equals' if same else 'DIFFERS FROM'} the keyid address",
        file=out,
    )


def explain(
    raw: RawRequest, *, public_url: str | None, now: int, profiles: tuple[ProfileName, ...],
    served_chains: frozenset[int], out: TextIO, accounts: AccountState | None = None,
) -> bool:
    """Print the step-by-step explanation to ``out``; True if the request verifies."""
    policy = VerifierPolicy(profiles=profiles, served_chains=served_chains)
    _step(out, "1", "the request as received (RFC 9112)")
    print(f"    {raw.request_line}", file=out)
    for line in raw.header_lines:
        print(f"    {line}", file=out)
    print(f"    content: {len(raw.body)} bytes", file=out)
    if public_url is None:
        host = raw.header("host")
        if host is None:
            raise RawRequestError(
                "public_url_missing", "expected --public-url or a Host header, got neither"
            )
        public_url = f"https://{host}"
        print(f"    no --public-url: assuming {public_url} from Host (trust it only in tests)",
              file=out)
    scheme, _, authority = public_url.partition("://")
    request = request_from_wire(
        raw.request_line, raw.header_lines, raw.body, scheme=scheme, authority=authority.rstrip("/")
    )
    print(f"    target URI (scheme and authority from configuration): {request.target_uri}",
          file=out)

    _step(out, "2", "signature fields (SPEC.md §4 steps 1-3; RFC 9421 §4, RFC 9651 Dictionaries)")
    inputs: Dictionary = ()
    signatures: dict[str, Any] = {}
    try:
        inputs = parse_dictionary(", ".join(request.field_lines("signature-input")))
        signatures = dict(parse_dictionary(", ".join(request.field_lines("signature"))))
    except Erc8128Error as error:
        print(f"    FAILS: {error.reason}: {error.message}", file=out)
    print(f"    Signature-Input labels: {[label for label, _ in inputs]}", file=out)
    print(f"    Signature labels:       {list(signatures)}", file=out)

    _step(out, "3", f"candidates (SPEC.md §4 step 4; profiles accepted: {', '.join(profiles)})")
    for label, member in inputs:
        tag = get_param(member.params, "tag")
        keyid = get_param(member.params, "keyid")
        if "draft" in profiles and tag == DRAFT.tag:
            kind = 'draft candidate (tag="erc8128")'
        elif "legacy" in profiles and isinstance(keyid, str) and keyid.startswith(
            LEGACY.keyid_prefix + ":"
        ):
            kind = 'legacy candidate (keyid "erc8128:...")'
        else:
            kind = "not a candidate for the accepted profiles (ignored)"
        print(f"    {label!r}: {kind}", file=out)
        if isinstance(member, InnerList) and not kind.startswith("not"):
            _explain_candidate(
                out, request, label, member, signatures=signatures, policy=policy, now=now
            )

    _step(out, "4", f"verdict of verify_request at now = {now} (SPEC.md §4 steps 1-18)")
    store = MemoryReplayStore(clock=lambda: float(now))
    try:
        verified = verify_request(request, now=now, nonces=store, policy=policy,
                                  accounts=accounts or NoCodeAccountState())
    except VerificationError as error:
        print(f"    REJECTED: {error.reason} (HTTP {error.status})", file=out)
        print(f"    {error.message}", file=out)
        for failure in error.candidate_failures:
            print(f"    candidate {failure.label!r}: {failure.reason}: {failure.message}",
                  file=out)
        return False
    binding = "request-bound" if verified.request_bound else "class-bound"
    replay = "replayable" if verified.replayable else "non-replayable"
    print(f"    VERIFIED: label {verified.label!r}, signer {verified.keyid}", file=out)
    print(f"    account verification: {verified.verification_method} "
          f"({verified.code_lookups} code lookup(s))", file=out)
    print(f"    {binding}, {replay}; nonce consumed: {verified.nonce_consumed}", file=out)
    return True


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inspect",
        help="explain, step by step, how a raw HTTP request verifies",
        description="Read a raw HTTP request (FILE or - for stdin) and explain its ERC-8128 "
        "verification: fields, candidates, signature base, hash, recovered address, verdict.",
    )
    parser.add_argument("file", metavar="FILE", help="raw HTTP request, or - for stdin")
    parser.add_argument("--public-url", help="trusted scheme://authority (default https://Host)")
    parser.add_argument("--now", type=int, help="verifier clock, Unix seconds (default: now)")
    parser.add_argument("--profile", choices=("draft", "legacy", "both"), default="draft")
    parser.add_argument(
        "--chain-id", dest="chains", type=int, action="append", help="served chain (default 1)"
    )
    parser.add_argument(
        "--rpc", action="append", metavar="eip155:ID=URL",
        help="JSON-RPC node of a served chain, repeatable: verify smart accounts (ERC-1271, "
        "ERC-6492, EIP-7702) on that chain; without it every account is treated as code-free",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as request_file:
                data = request_file.read()
        except OSError as error:
            raise RawRequestError("file_unreadable", f"expected {args.file}, got {error}") from None
    profiles: tuple[ProfileName, ...] = (
        ("draft", "legacy") if args.profile == "both" else (args.profile,)
    )
    now = int(time.time()) if args.now is None else args.now
    rpc: dict[str, str] = {}
    for value in args.rpc or ():
        chain, separator, url = value.partition("=")
        if not separator or not url:
            raise RawRequestError("rpc_invalid", f"expected eip155:<id>=<url>, got {value!r}")
        rpc[chain] = url
    accounts = RpcAccountState.from_urls(rpc) if rpc else None
    served = frozenset(args.chains) if args.chains else (
        accounts.chain_ids if accounts is not None else frozenset({1}))
    verified = explain(
        parse_raw_request(data),
        public_url=args.public_url,
        now=now,
        profiles=profiles,
        served_chains=served,
        out=sys.stdout,
        accounts=accounts,
    )
    return 0 if verified else 1
