"""Write docs/walkthrough.md and its HTML rendering (served by ``erc8128 serve`` at /walkthrough)
from the reference implementation, so the walkthrough can never drift from the code.

    .venv/bin/python docs/make_walkthrough.py            # write both files
    .venv/bin/python docs/make_walkthrough.py --check    # exit 1 if either is out of date

Every byte of a signed request is annotated so a reader can redo it by hand: the request, each
line of the signature base M and where it came from, the ERC-191 prefix in hex with the decimal
byte length, H, the 65-byte signature split into r, s and v, recovery to the public key, keccak
to the address, the keyid comparison and the replay entry written. Several self-contained cases,
as RFC 9421 Appendix B does: the ERC-8128 draft's own POST vector (read from
vectors/third_party/erc8128-draft/test-cases.json, whose schema version is checked), a GET without
content, a legacy request, a Replayable and a Class-Bound one, a two-signature request, and four
failures (tampered content, replay, wrong chain, expired) with their challenge answers. Step
numbers are those of SPEC.md §4, taken from :func:`erc8128.protocol.verify.explain_request`'s
trace.

Each case shows every byte it shares with another (the ERC-191 prefix, the draft's request sent
again, a cosigner's M that differs only in nonce and keyid) so that it can be redone by hand on
its own: the page's repeated blocks are deliberate (for the duplicate scan), and the page says
in its head that it is generated.

The keys are public test keys (0x…01 is the draft's fixture key): never use them for anything.
"""

import argparse
import base64
import html
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final

from erc8128.crypto.addresses import address_of, address_of_public_key, to_checksum_address
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import (
    PERSONAL_MESSAGE_PREFIX,
    personal_message_hash,
    recover_public_key,
)
from erc8128.crypto.secp256k1 import N, P
from erc8128.errors import VerificationError
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request, authority, path, query
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import (
    InnerList,
    parse_dictionary,
    serialize_bare_item,
    serialize_item,
)
from erc8128.protocol.challenge import HttpResponse, failure_response
from erc8128.protocol.keyid import ProfileName, parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Explanation, TraceStep, explain_request
from erc8128.server.page_frame import WALKTHROUGH, framed_page
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore

ROOT: Final = Path(__file__).resolve().parent.parent
MARKDOWN: Final = ROOT / "docs" / "walkthrough.md"
PAGE: Final = ROOT / "reference" / "erc8128" / "server" / "static" / "walkthrough.html"
DRAFT_CASES: Final = ROOT / "vectors" / "third_party" / "erc8128-draft" / "test-cases.json"
# The one schema version of the draft's test-case file this generator reads.
DRAFT_SCHEMA: Final = "erc8128-draft-test-cases/1"

KEY_1: Final = bytes.fromhex("00" * 31 + "01")  # the draft's fixture key: public
KEY_2: Final = bytes.fromhex("00" * 31 + "02")  # a second public test key
ORIGIN: Final = "https://api.example"
NOW: Final = 1700000001
CREATED: Final = 1700000000
# RFC 4648 §5 base64url of 16 bytes (128 bits, ERC-8128 §3.1.2), one per case.
NONCES: Final = {
    "get": base64.urlsafe_b64encode(bytes(range(16))).rstrip(b"=").decode(),
    "legacy": base64.urlsafe_b64encode(bytes(range(16, 32))).rstrip(b"=").decode(),
    "class": base64.urlsafe_b64encode(bytes(range(32, 48))).rstrip(b"=").decode(),
    "multi-1": base64.urlsafe_b64encode(bytes(range(48, 64))).rstrip(b"=").decode(),
    "multi-2": base64.urlsafe_b64encode(bytes(range(64, 80))).rstrip(b"=").decode(),
    "chain": base64.urlsafe_b64encode(bytes(range(80, 96))).rstrip(b"=").decode(),
    "expired": base64.urlsafe_b64encode(bytes(range(96, 112))).rstrip(b"=").decode(),
}
STEP_OF_SECTION: Final = {"digest": 12, "base": 15, "hash": 16, "signature": 17, "nonce": 18}


class WalkthroughError(Exception):
    """Input the generator refuses (an unknown vector schema, a vector we disagree with)."""


# ---- the document model: rendered to Markdown and to HTML from the same blocks ----------------
@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Para:
    text: str  # `code` spans allowed


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Code | Table


def code(text: str) -> str:
    """``text`` as one inline code span (a longer fence when it holds backticks)."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def hex_bytes(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


def hex_dump(data: bytes, width: int = 16) -> str:
    """Offsets and bytes, ``width`` a line, with the ASCII beside (``.`` for the rest)."""
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset:offset + width]
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:04x}  {hex_bytes(chunk):<{3 * width - 1}}  {text}".rstrip())
    return "\n".join(lines)


def utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- one case --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One self-contained worked example: a request, the verifier's settings, what happens."""

    id: str
    title: str
    intro: str
    request: Request  # effective target URI: scheme and authority from the public URL
    policy: VerifierPolicy
    keys: tuple[tuple[str, bytes], ...]  # (who, private key)
    public_url: str = ORIGIN
    now: int = NOW
    replayable_route: bool = False  # the route accepts Replayable (needs early invalidation)
    sent_before: tuple[Request, ...] = ()  # requests the same verifier accepted first (replay)
    lesson: str = ""


class RecordingStore(MemoryReplayStore):
    """The in-memory replay store, keeping a copy of every entry it writes (for the page)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[tuple[str, int]] = []

    def consume(self, key: str, until: int, *, now: float) -> bool:
        fresh = super().consume(key, until, now=now)
        if fresh:
            self.written.append((key, until))
        return fresh

    def consume_all(self, entries: Sequence[tuple[str, int]], *, now: float) -> tuple[str, ...]:
        used = super().consume_all(entries, now=now)
        if not used:
            self.written.extend(entries)
        return used


@dataclass
class Run:
    """What the verifier did with a case's request (the last one sent)."""

    explanation: Explanation
    written: list[tuple[str, int]] = field(default_factory=list)


def run_case(case: Case) -> Run:
    store = RecordingStore()
    invalidation = MemoryInvalidationState() if case.replayable_route else None
    for earlier in case.sent_before:
        first = explain_request(earlier, now=case.now, nonces=store, policy=case.policy,
                                invalidation=invalidation)
        if first.error is not None:
            raise WalkthroughError(f"{case.id}: the first request was refused: {first.error}")
    store.written.clear()
    explanation = explain_request(case.request, now=case.now, nonces=store, policy=case.policy,
                                  invalidation=invalidation)
    return Run(explanation, list(store.written))


# ---- the annotations -------------------------------------------------------------------------
PARAMETER_MEANINGS: Final = {
    "created": "when it was signed, Unix seconds (draft §3.3.2)",
    "expires": "refused after this time plus the skew (draft §3.3.2)",
    "nonce": "the replay key's second half: present means Non-Replayable (draft §3.1.2)",
    "keyid": "the claimed signer: CAIP-10 account (draft §3.3.1)",
    "tag": '"erc8128" marks a draft-profile candidate (draft §3.3.4, §3.5)',
    "alg": "forbidden: a candidate with alg is refused (draft §3.3.4)",
    "mode": 'mode="eoa" skips the code lookup when recovery matches (draft §3.3.5)',
}


def wire_text(request: Request) -> str:
    """The request as it travels (HTTP/1.1, LF line ends here; CRLF on the wire)."""
    target = path(request.target_uri)
    request_query = query(request.target_uri)
    if request_query is not None:
        target += "?" + request_query
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if not request.body:
        return "\n".join(lines) + "\n"  # the blank line that ends the header section
    return "\n".join(lines) + "\n\n" + request.body.decode("utf-8")


def line_source(identifier: str, request: Request, label: str, public_url: str) -> str:
    """Where one line of M comes from (RFC 9421 §2.1-2.3)."""
    target = path(request.target_uri)
    request_query = query(request.target_uri)
    sources = {
        '"@scheme"': f"the verifier's configured public URL {code(public_url)}, never the "
                     "request (RFC 9421 §2.2.1)",
        '"@authority"': "the configured public URL, host[:port] lowercased (RFC 9421 "
                        f"§2.2.3); the request said Host {code(authority(request.target_uri))}",
        '"@method"': f"the request line's method {code(request.method)} (RFC 9421 §2.2.2)",
        '"@path"': f"the request target up to {code('?')}: {code(target)} (RFC 9421 §2.2.6)",
        '"@query"': "the request target from " + code("?") + ": "
                    + code("?" + (request_query or "")) + " (RFC 9421 §2.2.7)",
        '"@signature-params"': f"the {code('Signature-Input')} member {code(label)}, serialised "
                               "again (RFC 9421 §2.3)",
    }
    if identifier in sources:
        return sources[identifier]
    name = identifier.strip('"')
    on_wire = [n for n, _ in request.headers if n.lower() == name]
    shown = on_wire[0] if on_wire else name
    return f"the {code(shown)} header line's value, trimmed (RFC 9421 §2.1)"


def step_note(section: str, failed_step: int | None) -> list[Block]:
    step = STEP_OF_SECTION[section]
    if failed_step is not None and step > failed_step:
        return [Para(f"*The verifier stopped at step {failed_step} and never computes this "
                     f"(step {step}); it is shown so you can check the rest of the signature by "
                     "hand.*")]
    return []


def candidate_blocks(case: Case, label: str, member_input: InnerList, signature: bytes, *,
                     failed_step: int | None) -> list[Block]:
    request = case.request
    anchor = f"{case.id}-{label}"
    blocks: list[Block] = []
    params = dict(member_input.params)
    components = [serialize_item(item) for item in member_input.items]
    keyid = str(params.get("keyid", ""))
    blocks.append(Heading(4, f"Signature {code(label)}: what it claims", f"{anchor}-claims"))
    rows = [(code(c), "covered component") for c in components]
    meanings = dict(PARAMETER_MEANINGS)
    if keyid.startswith("erc8128:"):
        meanings["keyid"] = "the claimed signer, erc8128:<chain-id>:<address> (February §3.3.1)"
    rows += [(code(f"{k}={serialize_bare_item(v)}"),
              meanings.get(k, "an extra parameter (covered by M)"))
             for k, v in params.items()]
    blocks.append(Table(("item", "meaning"), tuple(rows)))
    for name in ("created", "expires"):
        if name in params:
            seconds = params[name]
            assert isinstance(seconds, int)
            blocks.append(Para(f"{code(name)} = {seconds} is {utc(seconds)}."))

    # Step 12: Content-Digest
    digests = request.field_lines("content-digest")
    if digests and "content-digest" in [c.strip('"') for c in components]:
        body = request.body or b""
        recomputed = content_digest(body)
        digest = recomputed.split("=:", 1)[1].rstrip(":")
        blocks.append(Heading(4, f"{code('Content-Digest')} (step 12)", f"{anchor}-digest"))
        blocks.append(Table(("what", "value"), (
            ("the content, " + str(len(body)) + " bytes", code(body.decode("utf-8"))),
            ("sha-256 of the content, hex",
             code(base64.b64decode(digest).hex())),
            ("the same in base64 (RFC 9651 Byte Sequence)", code(recomputed)),
            ("the received header", code(", ".join(digests))),
            ("match", "yes" if recomputed in ", ".join(digests) else
             "**no**: the content was changed after signing"),
        )))

    # Step 15: M, line by line
    base = signature_base_for_label(request, label)
    base_bytes = base.encode("ascii")
    blocks.append(Heading(4, "The signature base M (step 15)", f"{anchor}-base"))
    blocks += step_note("base", failed_step)
    lines = base.split("\n")
    identifiers = [*components, '"@signature-params"']
    base_rows: list[tuple[str, ...]] = []
    for number, (line, identifier) in enumerate(zip(lines, identifiers, strict=True), 1):
        size = len(line.encode("ascii")) + (1 if number < len(lines) else 0)
        base_rows.append((str(number), str(size), code(line),
                          line_source(identifier, request, label, case.public_url)))
    blocks.append(Table(("line", "bytes", "text (LF ends every line but the last)", "from"),
                        tuple(base_rows)))
    blocks.append(Para(f"M is {len(base_bytes)} bytes of ASCII: the sum of the column above "
                       "(each line plus its LF, none after the last)."))

    # Step 16: the ERC-191 message and H
    length = str(len(base_bytes)).encode("ascii")
    message = PERSONAL_MESSAGE_PREFIX + length + base_bytes
    message_hash = keccak256(message)
    blocks.append(Heading(4, "The ERC-191 message and H (step 16)", f"{anchor}-hash"))
    blocks += step_note("hash", failed_step)
    blocks.append(Table(("bytes", "hex", "what"), (
        ("1", code("19"), "the ERC-191 version byte 0x19"),
        ("25", code(hex_bytes(PERSONAL_MESSAGE_PREFIX[1:])),
         code("Ethereum Signed Message:") + " and LF, ASCII"),
        (str(len(length)), code(hex_bytes(length)),
         f"{code(length.decode())}: decimal(byteLength(M)), no leading zeroes (draft §3.4.3)"),
        (str(len(base_bytes)), "M, as above", "the signature base"),
    )))
    blocks.append(Para(f"All {len(message)} bytes of the message personal_sign hashes:"))
    blocks.append(Code(hex_dump(message)))
    blocks.append(Para(f"H = keccak256(those {len(message)} bytes) = "
                       f"{code('0x' + message_hash.hex())}. It is also the signature's "
                       "fingerprint, the value early invalidation takes (SPEC.md D9)."))

    # Step 17: the 65 bytes, recovery, the address
    r_bytes, s_bytes, v = signature[:32], signature[32:64], signature[64]
    r, s = int.from_bytes(r_bytes, "big"), int.from_bytes(s_bytes, "big")
    blocks.append(Heading(4, "The signature and the signer (step 17)", f"{anchor}-sig"))
    blocks += step_note("signature", failed_step)
    member = next(v for k, v in parse_dictionary(", ".join(request.field_lines("signature")))
                  if k == label)
    blocks.append(Para(f"The {code('Signature')} member {code(label)} is the Byte Sequence "
                       f"{code(':' + base64.b64encode(signature).decode() + ':')}; its base64 "
                       f"decodes to {len(signature)} bytes:"))
    assert getattr(member, "value", None) == signature  # the header carries these bytes
    recovery_id = v - 27
    blocks.append(Table(("bytes", "name", "hex", "check (draft §3.4.3, EOA signatures)"), (
        ("0-31", "r", code(r_bytes.hex()), "1 <= r < n: " + ("yes" if 1 <= r < N else "**no**")),
        ("32-63", "s", code(s_bytes.hex()),
         "1 <= s <= n/2 (low s): " + ("yes" if 1 <= s <= N // 2 else "**no**")
         + f"; n/2 = {code(hex(N // 2))}"),
        ("64", "v", code(f"{v:02x}") + f" = {v}",
         f"27 or 28: {'yes' if v in (27, 28) else '**no**'}; recovery id v - 27 = {recovery_id}"),
    )))
    public_key = recover_public_key(message_hash, signature)
    x_bytes, y_bytes = public_key[:32], public_key[32:]
    y_r = pow((r**3 + 7) % P, (P + 1) // 4, P)
    if y_r % 2 != recovery_id % 2:
        y_r = P - y_r
    address_hash = keccak256(public_key)
    recovered = address_of_public_key(public_key)
    keyid_profile: ProfileName = "legacy" if keyid.startswith("erc8128:") else "draft"
    claimed = parse_keyid(keyid, keyid_profile).address
    blocks.append(Para(
        "Recovery (SEC 1 §4.1.6): R is the curve point with x = r whose y has the parity of the "
        f"recovery id: y = {code(f'{y_r:064x}')}. With e = H as an integer, the public key is "
        "Q = r⁻¹ (s·R − e·G) mod n:"))
    blocks.append(Table(("what", "value"), (
        ("Q.x", code(x_bytes.hex())),
        ("Q.y", code(y_bytes.hex())),
        ("keccak256(Q.x ‖ Q.y)", code(address_hash.hex())),
        ("address: its last 20 bytes", code(recovered)),
        ("the same with the EIP-55 checksum", code(to_checksum_address(recovered))),
        ("the keyid's address", code(claimed)),
        ("equal (compared as 20 bytes)", "yes" if recovered == claimed else "**no**"),
    )))
    return blocks


def response_text(response: HttpResponse) -> str:
    lines = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
    lines += [f"{name}: {value}" for name, value in response.headers]
    return "\n".join(lines) + "\n\n" + response.body.decode("utf-8")


def trace_rows(steps: Sequence[TraceStep]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for step in steps:
        outcome = "pass" if step.verdict == "pass" else f"**fail** {code(str(step.reason))}"
        if step.detail and step.verdict == "fail":
            outcome += ": " + step.detail
        looked = step.looked_at
        if step.step in (7, 16) and step.value:
            looked += f" → {step.value}"
        rows.append((str(step.step), step.title, step.label or "", code(looked), outcome))
    return tuple(rows)


def case_blocks(case: Case, number: int) -> list[Block]:
    run = run_case(case)
    explanation = run.explanation
    failed = [s for s in explanation.steps if s.verdict == "fail"]
    failed_step = failed[-1].step if failed and explanation.verified is None else None
    anchor = case.id
    blocks: list[Block] = [Heading(2, f"{number}. {case.title}", anchor), Para(case.intro)]

    blocks.append(Heading(3, "Inputs", f"{anchor}-inputs"))
    rows = [(f"key of {who} (public test key: never use it)", code("0x" + key.hex()))
            for who, key in case.keys]
    rows += [(f"address of {who}", code(address_of(key))) for who, key in case.keys]
    policy = case.policy
    rows += [
        ("verifier's public URL (gives @scheme and @authority)", code(case.public_url)),
        ("verifier's clock, now", f"{case.now} ({utc(case.now)})"),
        ("allowed skew", f"{policy.skew_sec} s"),
        ("maximum validity (expires - created)", f"{policy.max_validity_sec} s"),
        ("profiles accepted", ", ".join(policy.profiles)),
        ("chains served", ", ".join(f"eip155:{c}" for c in sorted(policy.served_chains))),
        ("route accepts Replayable", "yes" if case.replayable_route else "no"),
        ("route accepts Class-Bound", "yes" if policy.class_bound else "no"),
    ]
    if case.sent_before:
        rows.append(("before this", f"the verifier already accepted {len(case.sent_before)} "
                                    "request(s), shown below, with the same replay store"))
    blocks.append(Table(("input", "value"), tuple(rows)))

    blocks.append(Heading(3, "The request", f"{anchor}-request"))
    blocks.append(Para("As sent (LF line ends here; on the wire each line ends in CRLF, and "
                       "nothing follows the content):"))
    blocks.append(Code(wire_text(case.request)))

    members = parse_dictionary(", ".join(case.request.field_lines("signature-input")))
    signatures = dict(parse_dictionary(", ".join(case.request.field_lines("signature"))))
    blocks.append(Heading(3, "Each signature, byte by byte", f"{anchor}-signatures"))
    for label, member_input in members:
        assert isinstance(member_input, InnerList)
        signature = signatures[label]
        value = getattr(signature, "value", b"")
        assert isinstance(value, bytes)
        blocks += candidate_blocks(case, label, member_input, value, failed_step=failed_step)

    blocks.append(Heading(3, "The verifier's steps (SPEC.md §4)", f"{anchor}-steps"))
    blocks.append(Para("What " + code("explain_request") + " recorded, in order (steps 5-17 run "
                       "once per candidate; step 18 after all of them):"))
    blocks.append(Table(("step", "title", "candidate", "looked at", "result"),
                        trace_rows(explanation.steps)))

    blocks.append(Heading(3, "The replay entry written (step 18)", f"{anchor}-nonce"))
    if run.written:
        rows = [(code(key), f"{until} ({utc(until)}) = expires + skew")
                for key, until in run.written]
        blocks.append(Para("The replay key is " + code("<length of Signer ID>:<Signer ID>:<nonce>")
                           + " (draft §3.1.2: \"the collision-free tuple of the canonical CAIP-10 "
                           "Signer ID and nonce\"), kept until the signature can no longer "
                           "verify:"))
        blocks.append(Table(("key", "kept until"), tuple(rows)))
    elif explanation.verified is not None:
        blocks.append(Para("Nothing: a Replayable signature has no nonce. The signer can still "
                           "revoke it early, by its fingerprint H or by a not-before time "
                           "(draft §5.2)."))
    else:
        blocks.append(Para("Nothing: a refused request consumes no nonce (draft §3.5 \"failed "
                           "candidates MUST NOT consume nonces\")."))

    blocks.append(Heading(3, "The answer", f"{anchor}-answer"))
    if explanation.verified is not None:
        verified = explanation.verified
        blocks.append(Para(
            f"Verified: the signer is {code(verified.account.signer_id)} (candidate "
            f"{code(verified.label)}), "
            f"{'Request-Bound' if verified.request_bound else 'Class-Bound'}, "
            f"{'Replayable' if verified.replayable else 'Non-Replayable'}, fingerprint "
            f"{code(verified.fingerprint)}. The application now decides what this signer may do "
            "(draft §6: \"HTTP 403 is reserved for application authorization denied after a "
            "Request Signature has verified\")."))
    else:
        error = explanation.error
        assert isinstance(error, VerificationError)
        response = failure_response(error, policy=case.policy, request=case.request)
        blocks.append(Para(f"Refused with {code(error.reason)} at step {failed_step}. The "
                           "challenge and problem body, as "
                           + code("erc8128.protocol.challenge.failure_response")
                           + " builds them (the server adds Content-Length and Date):"))
        blocks.append(Code(response_text(response)))
    if case.lesson:
        blocks.append(Para(case.lesson))
    return blocks


# ---- the cases -------------------------------------------------------------------------------
def draft_post(vector_file: Path) -> Request:
    """The draft's positive vector, byte for byte, from its test-case file."""
    try:
        document: Any = json.loads(vector_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WalkthroughError(f"{vector_file}: cannot read it as JSON: {error}") from None
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema != DRAFT_SCHEMA:
        raise WalkthroughError(
            f"{vector_file}: expected schema {DRAFT_SCHEMA!r}, got {schema!r}; this generator "
            "reads only that version")
    positive = document["positive"]
    wire = positive["request"]
    headers = tuple((str(n), str(v)) for n, v in wire["headers"])
    host = next(v for n, v in headers if n.lower() == "host")
    request = Request(wire["method"], f"https://{host}{wire['target']}", headers,
                      str(wire["body"]).encode("utf-8"))
    # The reference implementation must agree with the draft's own values, or nothing is
    # written: M, its byte length, H and the signature bytes on the wire.
    base = signature_base_for_label(request, positive["label"])
    if base != positive["signature_base"]:
        raise WalkthroughError(f"{vector_file}: our M differs from the draft's signature_base")
    if len(base.encode("ascii")) != positive["signature_base_utf8_len"]:
        raise WalkthroughError(f"{vector_file}: our byteLength(M) differs from the draft's")
    if "0x" + personal_message_hash(base.encode("ascii")).hex() != positive["erc191_hash"]:
        raise WalkthroughError(f"{vector_file}: our H differs from the draft's erc191_hash")
    signatures = dict(parse_dictionary(", ".join(request.field_lines("signature"))))
    sent = getattr(signatures.get(positive["label"]), "value", b"")
    if not isinstance(sent, bytes) or "0x" + sent.hex() != positive["signature"]:
        raise WalkthroughError(f"{vector_file}: the Signature header is not the draft's signature")
    return request


def cases(vector_file: Path) -> list[Case]:
    draft_policy = VerifierPolicy()
    post = draft_post(vector_file)
    get = sign_request(
        Request("GET", ORIGIN + "/items/42", (("Host", "api.example"),)), KEY_1,
        created=CREATED, nonce=NONCES["get"], label="eth").request
    legacy = sign_request(
        Request("GET", ORIGIN + "/items?view=full", (("Host", "api.example"),)), KEY_1,
        created=CREATED, nonce=NONCES["legacy"], profile="legacy", label="sig1").request
    replayable = sign_request(
        Request("GET", ORIGIN + "/api/whoami", (("Host", "api.example"),)), KEY_1,
        created=CREATED, replayable=True, label="eth").request
    class_bound = sign_request(
        Request("GET", ORIGIN + "/reports?page=2", (("Host", "api.example"),)), KEY_1,
        created=CREATED, nonce=NONCES["class"], label="eth",
        components=("@authority", "@method", "@path")).request
    body = b'{"amount":"10","to":"0x2b5ad5c4795c026514f8317c7a215e218dccd6cf"}'
    two = sign_request(
        Request("POST", ORIGIN + "/transfers", (("Host", "api.example"),
                                                 ("Content-Type", "application/json")), body),
        KEY_1, created=CREATED, nonce=NONCES["multi-1"], label="eth").request
    two = sign_request(two, KEY_2, created=CREATED, nonce=NONCES["multi-2"],
                       label="cosigner").request
    tampered = replace(post, headers=tuple((n, "18" if n == "Content-Length" else v)
                                           for n, v in post.headers),
                       body=b'{"hello":"world!"}')
    wrong_chain = sign_request(
        Request("GET", ORIGIN + "/items/42", (("Host", "api.example"),)), KEY_1,
        created=CREATED, nonce=NONCES["chain"], chain_id=8453, label="eth").request
    expired = sign_request(
        Request("GET", ORIGIN + "/items/42", (("Host", "api.example"),)), KEY_1,
        created=CREATED - 120, expires=CREATED - 60, nonce=NONCES["expired"],
        label="eth").request
    signer = [("the signer", KEY_1)]
    return [
        Case("draft-post", "The draft's POST (its own positive vector)",
             "The ERC-8128 draft's test vector (vectors/third_party/erc8128-draft), byte for "
             "byte: a JSON POST signed Request-Bound and Non-Replayable, the strongest posture "
             "and the one every verifier must accept.", post, draft_policy, tuple(signer)),
        Case("get", "A GET without content",
             "No content, so no Content-Digest and no content-type: the Request-Bound set is "
             "@scheme @authority @method @path and @query. This request has no query, so "
             "@query is the bare " + code("?") + " (RFC 9421 §2.2.7: an absent query is "
             "\"?\").", get, draft_policy, tuple(signer)),
        Case("legacy", "A legacy request (the February text)",
             "The profile the shipped SDKs speak: keyid " + code("erc8128:1:0x…") + ", no "
             + code("tag") + ", and no @scheme: the February text's Request-Bound set is "
             "@authority @method @path, plus @query when there is a query (February "
             "§3.1.1). The verifier accepts it only with the legacy profile enabled.",
             legacy, replace(draft_policy, profiles=("legacy",)), tuple(signer)),
        Case("replayable", "A Replayable signature",
             "No nonce: the same signed request may be sent again until it expires. Only a "
             "route that says so accepts it (draft §3.1.2), and only a verifier with early "
             "invalidation (draft §5.2).", replayable,
             replace(draft_policy, replay="either"), tuple(signer), replayable_route=True),
        Case("class-bound", "A Class-Bound signature",
             "It covers @authority @method @path only: no @scheme and no @query, so it "
             "authorises every query on this path. Only a route that accepts Class-Bound "
             "signatures takes it (draft §3.1.1 \"A verifier MAY accept it only under explicit "
             "route policy\").", class_bound, replace(draft_policy, class_bound=True),
             tuple(signer),
             lesson="The query " + code("?page=2") + " is in no line of M: anyone may change "
                    "it and the signature still verifies."),
        Case("two-signatures", "Two signatures on one request",
             "Two labels, two keys. Every candidate is verified (decision D28); the first in "
             "wire order is the signer the application sees, and both nonces are consumed "
             "together, so the request is accepted at most once.", two, draft_policy,
             (("the first signer", KEY_1), ("the cosigner", KEY_2))),
        Case("tampered-body", "Failure: the content was changed",
             "The draft's POST with one byte added to the content (and Content-Length "
             "adjusted). The signature still matches M, because M covers the Content-Digest "
             "header, not the content; the recomputed digest does not match the header.",
             tampered, draft_policy, tuple(signer)),
        Case("replay", "Failure: a replay",
             "The draft's POST sent a second time to the same verifier. Everything verifies "
             "again until step 18, where the replay key is already there.", post,
             draft_policy, tuple(signer), sent_before=(post,)),
        Case("wrong-chain", "Failure: a chain the verifier does not serve",
             "Signed for Base (chain 8453); this verifier serves Ethereum mainnet (chain 1) "
             "only. It stops at the keyid, before any cryptography, and its challenge lists "
             "the chains it serves.", wrong_chain, draft_policy, tuple(signer)),
        Case("expired", "Failure: an expired signature",
             "Signed two minutes before the verifier's clock with a 60-second window: now is "
             "past expires + skew. The time check comes before any cryptography, and the "
             "client's fix is to sign again with a fresh created.", expired, draft_policy,
             tuple(signer)),
    ]


def document(vector_file: Path) -> list[Block]:
    all_cases = cases(vector_file)
    blocks: list[Block] = [
        Heading(1, "ERC-8128, byte by byte: worked examples", "top"),
        Para("Each case below is self-contained, like RFC 9421 Appendix B: the keys, the "
             "verifier's settings, the request, every line of the signature base M and where it "
             "came from, the ERC-191 message in hex, H, the 65-byte signature split into r, s "
             "and v, recovery to the public key and the address, the keyid comparison, the "
             "verifier's numbered steps (SPEC.md §4), the replay entry written and the answer. "
             "Everything is computed by the reference implementation when this page is "
             "generated (" + code("docs/make_walkthrough.py") + "; a test fails if the page and "
             "the code disagree), so you can redo each step by hand and get the same bytes."),
        Para("The keys are public test keys (0x…01 is the draft's fixture key): never use them "
             "for anything. Times are Unix seconds."),
        Para("To redo a hash by hand: keccak256 is Ethereum's Keccak-256, not SHA3-256 (FIPS 202 "
             "changed the padding byte from 0x01 to 0x06, so " + code("hashlib.sha3_256")
             + " gives another value). With this package installed: "
             + code('python -c "from erc8128.crypto.keccak import keccak256; '
                    "print(keccak256(bytes.fromhex('19457468...')).hex())\"")
             + "; with Node and viem: " + code("keccak256(hexBytes)") + "."),
        Table(("case", "shows"), tuple(
            (f"{n}. {c.title}", code(c.id)) for n, c in enumerate(all_cases, 1))),
    ]
    for number, case in enumerate(all_cases, 1):
        blocks += case_blocks(case, number)
    return blocks


# ---- rendering ---------------------------------------------------------------------------------
NOTICE: Final = ("Written by `python docs/make_walkthrough.py` from the reference implementation; "
                 "tests/docs/test_walkthrough.py checks it is current. Do not edit by hand.")


def markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + block.text)
            if index == 0:
                out.append("")
                out.append(f"<!-- {NOTICE} -->")
        elif isinstance(block, Para):
            out.append(block.text)
        elif isinstance(block, Code):
            out.append("```text\n" + block.text + "\n```")
        else:
            out.append("| " + " | ".join(block.header) + " |")
            out.append("| " + " | ".join("---" for _ in block.header) + " |")
            out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                    for row in block.rows]
        out.append("")
    return "\n".join(out)


def inline_html(text: str) -> str:
    """`code` spans and **strong** / *emphasis* of the blocks above, everything else escaped."""
    parts: list[str] = []
    rest = text
    while rest:
        start = rest.find("`")
        if start < 0:
            parts.append(_emphasis(html.escape(rest)))
            break
        parts.append(_emphasis(html.escape(rest[:start])))
        fence = "``" if rest.startswith("``", start) else "`"
        end = rest.find(fence, start + len(fence))
        if end < 0:
            parts.append(html.escape(rest[start:]))
            break
        inner = rest[start + len(fence):end]
        if fence == "``":
            inner = inner[1:-1]
        parts.append("<code>" + html.escape(inner) + "</code>")
        rest = rest[end + len(fence):]
    return "".join(parts)


def _emphasis(escaped: str) -> str:
    pieces = escaped.split("**")
    escaped = "".join(p if i % 2 == 0 else f"<strong>{p}</strong>" for i, p in enumerate(pieces))
    if escaped.startswith("*") and escaped.endswith("*") and len(escaped) > 2:
        escaped = "<em>" + escaped[1:-1] + "</em>"
    return escaped


def page(blocks: Sequence[Block]) -> str:
    body: list[str] = []
    for block in blocks[1:]:
        if isinstance(block, Heading):
            body.append(f'<h{block.level} id="{block.anchor}">{inline_html(block.text)}'
                        f"</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Code):
            body.append(f"<pre>{html.escape(block.text)}</pre>")
        else:
            head = "".join(f'<th scope="col">{inline_html(h)}</th>' for h in block.header)
            rows = "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>"
                           for row in block.rows)
            body.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
                        f"<tbody>{rows}</tbody></table></div>")
    title = blocks[0].text if isinstance(blocks[0], Heading) else "Walkthrough"
    main = '<main class="walkthrough">\n' + "\n".join(body) + "\n</main>\n"
    return framed_page(title, main, current=WALKTHROUGH[0], notice=NOTICE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="compare with the written files instead of writing them")
    parser.add_argument("--draft-cases", type=Path, default=DRAFT_CASES,
                        help="the draft's test-case file (default: the one in vectors/)")
    args = parser.parse_args(argv)
    try:
        blocks = document(args.draft_cases)
    except WalkthroughError as error:
        print(f"make_walkthrough: {error}", file=sys.stderr)
        return 2
    outputs = {MARKDOWN: markdown(blocks), PAGE: page(blocks)}
    if args.check:
        stale = [p for p, text in outputs.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            print(f"{names} out of date: run python docs/make_walkthrough.py", file=sys.stderr)
            return 1
        return 0
    for output, text in outputs.items():
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
