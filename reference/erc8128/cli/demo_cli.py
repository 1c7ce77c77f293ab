"""``erc8128 demo``: the whole ERC-8128 story in one run, against a real server on 127.0.0.1.

It starts the demo server on a free port, lets an owner create a project and an invite with
signed requests, lets an agent generate its own key and join with the invite, makes signed calls,
then shows two refusals with their ERC-8128 §6 reasons: a replayed request (``nonce_reused``,
§3.1.2 "finding it already used yields `nonce_reused`") and a body changed after signing
(``bad_content_digest``, §3.1.3). It prints a readable transcript and exits 0 when every step
had the expected outcome (1 otherwise).
"""

import argparse
import json
import sys
from dataclasses import replace
from typing import Any, TextIO

from erc8128.cli.command import add_command
from erc8128.client import Client, Response, Signer, bootstrap, send_request
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.server import ServerConfig, start_server


class _Transcript:
    """Numbered steps and indented detail, written as they happen; counts unexpected outcomes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0
        self.unexpected = 0

    def title(self, text: str) -> None:
        self.step += 1
        print(f"\n{self.step}. {text}", file=self.out)

    def line(self, text: str) -> None:
        print(f"   {text}", file=self.out)

    def exchange(self, label: str, response: Response, expected_status: int,
                 expected_reason: str | None = None) -> None:
        outcome = f"HTTP {response.status}"
        if response.reason is not None and response.status >= 400:
            outcome += f" {response.reason}"
        ok = response.status == expected_status and (
            expected_reason is None or response.reason == expected_reason
        )
        if not ok:
            self.unexpected += 1
            wanted = f"{expected_status} {expected_reason or ''}".rstrip()
            outcome += f"   <-- UNEXPECTED (expected {wanted})"
        print(f"   {label} -> {outcome}", file=self.out)
        for name in ("WWW-Authenticate", "Accept-Signature"):
            value = response.header(name)
            if value is not None:
                print(f"      {name}: {value}", file=self.out)
        if response.body and "json" in (response.header("content-type") or ""):
            print(f"      {response.body.decode('utf-8', 'replace')[:300]}", file=self.out)


def _path_of(target_uri: str) -> str:
    rest = target_uri.split("://", 1)[1]
    return rest[rest.find("/") :] if "/" in rest else "/"


def run_demo(out: TextIO) -> int:
    """Run the scenario; print the transcript to ``out``; 0 if every outcome was expected."""
    show = _Transcript(out)
    print("ERC-8128 demo: HTTP requests signed with Ethereum keys (RFC 9421 + ERC-191)", file=out)
    # No restart watermark (D61): this server and every key that signs for it are new in this
    # run, so no signature can predate the server; no state file is written for a demo.
    with start_server(ServerConfig(port=0, state_dir=None)) as server:
        url = server.url
        print(f"server: {url} (erc8128.server, started in this process on a free port)", file=out)

        show.title("The project owner generates a key locally and creates a project")
        owner = Client(url, Signer.generate())
        show.line(f"owner address {owner.signer.address}")
        created = owner.post("/api/projects", {"name": "demo", "auto_approve": False,
                                               "public": True})
        show.exchange("POST /api/projects (signed by the owner)", created, 201)
        project_id = str(created.json().get("id")) if created.ok else "missing"

        show.title("The owner creates a one-use invite (owner-only route)")
        invite = owner.post(f"/api/projects/{project_id}/invites",
                            {"uses": 1, "expires_in": 600})
        show.exchange(f"POST /api/projects/{project_id}/invites", invite, 201)
        code = str(invite.json().get("code")) if invite.ok else "missing"

        show.title("The agent generates its own key and redeems the invite")
        show.line("the private key never leaves the agent: the server learns the address "
                  "by recovering it from the signature")
        enrollment = bootstrap(url, code, name="demo-agent")
        agent = enrollment.client
        show.line(f"agent address {enrollment.address}, keyid {enrollment.signer.keyid}")
        show.line(f"joined project {enrollment.project_id}: status {enrollment.status}")
        if enrollment.status != "approved":
            show.unexpected += 1

        show.title("Signed calls")
        whoami = agent.get("/api/whoami")
        show.exchange("GET /api/whoami", whoami, 200)
        echo_path = f"/api/projects/{project_id}/echo"
        echo = agent.post(echo_path, {"hello": "world"})
        show.exchange(f"POST {echo_path}", echo, 200)
        signed = echo.signed
        if signed is not None:
            show.line("what the agent signed, the signature base M (RFC 9421 §2.5):")
            for base_line in signed.signature_base.split("\n"):
                show.line(f"   {base_line}")
            show.line(f"Signature-Input: {signed.label}={signed.signature_input}")

        show.title("A captured request replayed byte for byte is refused")
        if signed is not None:
            replayed = send_request(signed.request)
            show.exchange(f"POST {_path_of(signed.request.target_uri)} (same bytes again)",
                          replayed, 401, "nonce_reused")

        show.title("A body changed after signing is refused")
        honest = Request(
            "POST", url + echo_path, (("Content-Type", "application/json"),), b'{"amount":1}'
        )
        signed_honest = enrollment.signer.sign(honest, created=int(agent.clock()))
        tampered_body = b'{"amount":1000}'
        tampered = replace(signed_honest.request, body=tampered_body)
        show.line(f"signed content {honest.body!r}, sent content {tampered_body!r}")
        show.line(f"Content-Digest of the sent content would be {content_digest(tampered_body)}")
        show.exchange(f"POST {echo_path} (tampered)", send_request(tampered), 401,
                      "bad_content_digest")

        show.title("The owner reads the project's audit log")
        audit = owner.get(f"/api/projects/{project_id}/audit")
        entries: list[Any] = audit.json().get("entries", []) if audit.ok else []
        if not audit.ok:
            show.exchange(f"GET /api/projects/{project_id}/audit", audit, 200)
        for entry in entries[-6:]:
            show.line(json.dumps(entry, sort_keys=True))

    verdict = "every step had the expected outcome" if show.unexpected == 0 else (
        f"{show.unexpected} step(s) had an unexpected outcome"
    )
    print(f"\ndone: {verdict}; server stopped.", file=out)
    return 0 if show.unexpected == 0 else 1


def add_parser(subparsers: Any) -> None:
    add_command(
        subparsers, "demo", run,
        summary="run the whole story against a local server: join, sign, replay, tamper",
        description="Start the demo server on a free port, onboard an agent with an invite, "
        "make signed calls, and show a replayed and a tampered request refused.",
    )


def run(args: argparse.Namespace) -> int:
    return run_demo(sys.stdout)
