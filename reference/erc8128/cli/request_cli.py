"""``erc8128 request`` (curl-like signed request) and ``erc8128 sign`` (the headers a signature
adds), both ERC-8128 §3.4 Signing at the command line.

The key comes from ``--key-file`` or the ``ERC8128_PRIVATE_KEY`` environment variable, never
from an argument (argument lists are visible to other users of the machine).
"""

import argparse
import os
import sys
import time
from typing import Any

from erc8128.cli.command import add_command
from erc8128.cli.options import add_signer_chain, add_signer_profile
from erc8128.client import DEFAULT_KEY_ENV, Client, ClientError, Signer
from erc8128.client.api_client import absolute_url
from erc8128.http.message import Request
from erc8128.protocol.sign import DEFAULT_LABEL, SignedRequest
from erc8128.server.pages import raw_request_text


def parse_header_option(text: str) -> tuple[str, str]:
    """``-H 'Name: value'`` → ``("Name", "value")`` (RFC 9112 §5.1 field-line, OWS trimmed)."""
    name, colon, value = text.partition(":")
    if not colon or not name or name != name.strip():
        raise ClientError("header_option_invalid", f"expected 'Name: value', got {text!r}")
    return name, value.strip(" \t")


def _read_data(data: str | None) -> bytes | None:
    """curl's ``-d``: the text itself, or ``@FILE`` / ``@-`` for a file's or stdin's bytes."""
    if data is None:
        return None
    if data == "@-":
        return sys.stdin.buffer.read()
    if data.startswith("@"):
        try:
            with open(data[1:], "rb") as data_file:
                return data_file.read()
        except OSError as error:
            raise ClientError("data_file_unreadable", f"expected {data[1:]}, got {error}") from None
    return data.encode("utf-8")


def _content(args: argparse.Namespace) -> tuple[list[tuple[str, str]], bytes | None]:
    """The -H header lines and the content; ``--json`` adds curl's two JSON header lines,
    each unless a -H line already names that field."""
    headers = [parse_header_option(text) for text in args.headers]
    if args.json is None:
        return headers, _read_data(args.data)
    named = {name.lower() for name, _ in headers}
    for name in ("Content-Type", "Accept"):
        if name.lower() not in named:
            headers.append((name, "application/json"))
    return headers, _read_data(args.json)


def _content_type_hint(args: argparse.Namespace, headers: list[tuple[str, str]]) -> str | None:
    """What to type after a 415 for content sent without a Content-Type of its own."""
    if args.data is None or any(name.lower() == "content-type" for name, _ in headers):
        return None
    return ("erc8128: hint: -d sends no Content-Type; for JSON use --json DATA "
            "(or add -H 'Content-Type: application/json')")


def _signer(args: argparse.Namespace) -> Signer:
    if args.key_file is not None:
        return Signer.from_key_file(args.key_file, chain_id=args.chain_id, profile=args.profile)
    if DEFAULT_KEY_ENV not in os.environ:
        # A newcomer's first command: say where a key comes from, not only that none was found.
        raise ClientError(
            "private_key_missing",
            f"expected a signing key: --key-file FILE or the environment variable "
            f"{DEFAULT_KEY_ENV}, got neither (make one: erc8128 keygen --out agent.key, then "
            f"--key-file agent.key)",
        )
    return Signer.from_env(DEFAULT_KEY_ENV, chain_id=args.chain_id, profile=args.profile)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="absolute URL, e.g. http://127.0.0.1:8128/api/whoami")
    parser.add_argument("-X", "--request", dest="method",
                        help="method (default GET, POST with -d or --json)")
    parser.add_argument(
        "-H", "--header", dest="headers", action="append", default=[], metavar="'Name: value'"
    )
    content = parser.add_mutually_exclusive_group()
    content.add_argument("-d", "--data", help="content: text, @FILE or @- for stdin")
    content.add_argument("--json", metavar="DATA",
                         help="JSON content, as -d, with Content-Type: application/json and "
                         "Accept: application/json (curl's --json)")
    parser.add_argument(
        "--key-file", help=f"key file from 'erc8128 keygen' (default: ${DEFAULT_KEY_ENV})"
    )
    add_signer_chain(parser)
    add_signer_profile(parser)
    parser.add_argument("--label", default=DEFAULT_LABEL, help="signature label (default eth)")
    parser.add_argument(
        "--component",
        dest="components",
        action="append",
        metavar="ID",
        help="cover exactly these components, in order (repeat; default: the strongest set)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show base and headers")


def add_parser(subparsers: Any) -> None:
    request_parser = add_command(
        subparsers, "request", run_request,
        summary="send one ERC-8128 signed HTTP request (curl-like)",
        description="Sign and send a request; print the response body. A 401 with "
        "Accept-Signature is retried once as the server asks (ERC-8128 §6).",
    )
    _add_common(request_parser)
    sign_parser = add_command(
        subparsers, "sign", run_sign,
        summary="print the headers a signature would add to a request (--full: the whole request)",
        description="Sign a request without sending it; print the header lines to add, or with "
        "--full the whole request ready to paste.",
    )
    _add_common(sign_parser)
    sign_parser.add_argument("--created", type=int, help="signature time (default: now)")
    sign_parser.add_argument("--nonce", help="nonce to use (default: 128 fresh random bits)")
    sign_parser.add_argument("--full", action="store_true",
                             help="print the whole signed request (request line, Host, every "
                             "header, content) ready to paste into erc8128 inspect or the "
                             "inspector page")


def _explain_signed(signed: SignedRequest, unsigned_count: int) -> None:
    err = sys.stderr
    print("* signature base (RFC 9421 §2.5), signed with ERC-191 personal_sign:", file=err)
    for line in signed.signature_base.split("\n"):
        print(f"*   {line}", file=err)
    print(f"* H = keccak256(ERC-191 prefix || M) = 0x{signed.message_hash.hex()}", file=err)
    request = signed.request
    target = request.target_uri.split("://", 1)[1]
    target = target[target.find("/") :] if "/" in target else "/"
    print(f"> {request.method} {target} HTTP/1.1", file=err)
    for index, (name, value) in enumerate(request.headers):
        marker = "> " if index < unsigned_count else ">+"
        print(f"{marker} {name}: {value}", file=err)
    print(">", file=err)


def run_request(args: argparse.Namespace) -> int:
    signer = _signer(args)
    headers, body = _content(args)
    method = args.method or ("POST" if body is not None else "GET")
    client = Client("", signer, label=args.label)
    response = client.request(
        method, args.url, headers=headers, body=body, components=args.components
    )
    if args.verbose and response.signed is not None:
        _explain_signed(response.signed, len(args.headers))
        print(f"< HTTP {response.status}", file=sys.stderr)
        for name, value in response.headers:
            print(f"< {name}: {value}", file=sys.stderr)
        print("<", file=sys.stderr)
    sys.stdout.write(response.body.decode("utf-8", "replace"))
    if response.body and not response.body.endswith(b"\n"):
        sys.stdout.write("\n")
    if response.status >= 400:
        print(f"erc8128: HTTP {response.status} {response.reason or ''}".rstrip(), file=sys.stderr)
        hint = _content_type_hint(args, headers) if response.status == 415 else None
        if hint is not None:
            print(hint, file=sys.stderr)
        return 1
    return 0


def run_sign(args: argparse.Namespace) -> int:
    signer = _signer(args)
    header_list, body = _content(args)
    headers = tuple(header_list)
    method = args.method or ("POST" if body is not None else "GET")
    created = int(time.time()) if args.created is None else args.created
    signed = signer.sign(
        Request(method, absolute_url(args.url), headers, body),
        created=created,
        label=args.label,
        components=args.components,
        nonce=args.nonce,
    )
    if args.verbose:
        _explain_signed(signed, len(args.headers))
    if args.full:
        sys.stdout.write(raw_request_text(signed.request))
        return 0
    for name, value in signed.request.headers[len(args.headers) :]:
        print(f"{name}: {value}")
    return 0
