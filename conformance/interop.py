"""The signer × verifier interop matrix of ``docs/compatibility.md`` (issue 21 item 8): does a
request signed by SDK X verify under SDK Y?

Every implementation the project runs through an adapter (this project, ``@slicekit/erc8128``,
``uvd-x402-sdk``) signs the same requests, per profile it offers: a GET with a query, a GET
without one and a POST with a JSON body, one key, ``created`` / ``expires`` 60 seconds apart, a
nonce. Every
implementation then verifies every signer's output (its own included) through its adapter's
``verify_request`` at ``now = created``, under the baseline policy with chain 1 served and a
fresh replay state. A cell says ``verified`` or the refusal's reason code, and links to the
deviation that explains it: the verifier's when this project's verifier accepts the same bytes,
otherwise the signer's.
"""

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from erc8128_conformance.adapter_client import AdapterClient, AdapterFailure

__all__ = ["PARTIES", "Cell", "Party", "Signed", "interop_matrix", "render_matrix"]

ROOT: Final = Path(__file__).resolve().parents[1]
# One key for every signer (0x7e5f4552091a69125d5dfcb7b8c2659029395bdf).
PRIVATE_KEY_HEX: Final = "00" * 31 + "01"
CREATED: Final = 1_700_000_000
EXPIRES: Final = CREATED + 60
NONCE: Final = "interop-nonce-1"
POLICY: Final[Mapping[str, Any]] = {"served_chains": [1]}
_HOST: Final = [["Host", "api.example"]]
REQUESTS: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("GET", {"method": "GET", "url": "https://api.example/items?view=full", "headers": _HOST,
             "body_hex": None}),
    # No query: RFC 9421 §2.2.7 gives `@query` the value `?` (SPEC.md §8: one SDK uses "").
    ("GET without a query", {"method": "GET", "url": "https://api.example/items",
                             "headers": _HOST, "body_hex": None}),
    ("POST with a body", {"method": "POST", "url": "https://api.example/items",
                          "headers": [*_HOST, ["Content-Type", "application/json"]],
                          "body_hex": b'{"hello":"world"}'.hex()}),
)


@dataclass(frozen=True)
class Party:
    """One implementation: its name, its adapter command and where its deviations are."""

    name: str
    adapter: str
    deviations: str  # a link relative to docs/


PARTIES: Final = (
    Party("erc8128 (this project)", f"{sys.executable} -m erc8128 adapter",
          "../SPEC.md#6-decisions-where-the-texts-are-silent-or-ambiguous"),
    Party("@slicekit/erc8128", "node conformance/adapters/slicekit/adapter.mjs",
          "../SPEC.md#8-known-deviations-of-shipped-sdks"),
    Party("uvd-x402-sdk", f"{sys.executable} conformance/adapters/uvd_x402/adapter.py",
          "../conformance/adapters/uvd_x402/README.md"),
)


@dataclass(frozen=True)
class Signed:
    """A signer's output for one request: the signed request, or its refusal."""

    request: dict[str, Any] | None
    refusal: str = ""


@dataclass(frozen=True)
class Cell:
    """What one verifier answered for one signer's output."""

    text: str  # "verified", "refused: `reason`", "signer refused: `reason`", "not offered"
    link: str = ""  # the deviation that explains a refusal


@contextmanager
def _clients(parties: Sequence[Party]) -> Iterator[dict[str, AdapterClient]]:
    clients = {party.name: AdapterClient(party.adapter, timeout=60, cwd=ROOT)
               for party in parties}
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()


def _offers(client: AdapterClient, profile: str) -> bool:
    hello = client.call("hello", {"protocol": 1})
    profiles = hello.body.get("profiles") if hello.kind == "ok" else None
    return isinstance(profiles, list) and profile in profiles


def _sign(client: AdapterClient, profile: str, request: dict[str, Any]) -> Signed:
    try:
        answer = client.call("sign_request", {
            "profile": profile, "request": request, "private_key_hex": PRIVATE_KEY_HEX,
            "chain_id": 1, "created": CREATED, "expires": EXPIRES, "nonce": NONCE,
            "label": "eth", "components": None, "params": {},
        })
    except AdapterFailure as failure:
        return Signed(None, f"adapter {failure.kind}")
    headers = answer.body.get("headers") if answer.kind == "ok" else None
    if not isinstance(headers, list):
        return Signed(None, str(answer.body.get("reason", answer.kind)))
    return Signed({**request, "headers": headers})


def _verify(client: AdapterClient, profile: str, request: dict[str, Any]) -> str:
    """"" when verified, else the refusal's reason code."""
    try:
        answer = client.call("verify_request", {"profile": profile, "request": request,
                                                "now": CREATED, "policy": dict(POLICY)})
    except AdapterFailure as failure:
        return f"adapter {failure.kind}"
    if answer.kind == "ok":
        return ""
    return str(answer.body.get("reason", answer.kind))


def interop_matrix(parties: Sequence[Party] = PARTIES
                   ) -> dict[tuple[str, str], dict[tuple[str, str], Cell]]:
    """(profile, request) → (signer, verifier) → cell."""
    matrix: dict[tuple[str, str], dict[tuple[str, str], Cell]] = {}
    with _clients(parties) as clients:
        reference = clients[parties[0].name]
        for profile in ("draft", "legacy"):
            offering = {p.name for p in parties if _offers(clients[p.name], profile)}
            for label, request in REQUESTS:
                cells: dict[tuple[str, str], Cell] = {}
                for signer in parties:
                    signed = (_sign(clients[signer.name], profile, request)
                              if signer.name in offering else None)
                    # This project's verifier decides who deviates when a verifier refuses.
                    reference_refusal = (_verify(reference, profile, signed.request)
                                         if signed is not None and signed.request is not None
                                         else "")
                    for verifier in parties:
                        cells[signer.name, verifier.name] = _cell(
                            clients[verifier.name], profile, signed, signer, verifier,
                            verifier.name in offering, reference_refusal)
                matrix[profile, label] = cells
    return matrix


def _cell(client: AdapterClient, profile: str, signed: Signed | None, signer: Party,  # noqa: PLR0917
          verifier: Party, verifier_offers: bool, reference_refusal: str) -> Cell:
    if signed is None or not verifier_offers:
        return Cell("not offered")
    if signed.request is None:
        return Cell(f"signer refused: `{signed.refusal}`", signer.deviations)
    refusal = _verify(client, profile, signed.request)
    if not refusal:
        return Cell("verified")
    blamed = verifier if not reference_refusal else signer
    return Cell(f"refused: `{refusal}`", blamed.deviations)


def render_matrix(matrix: Mapping[tuple[str, str], Mapping[tuple[str, str], Cell]],
                  parties: Sequence[Party] = PARTIES) -> list[str]:
    """The matrix as Markdown: one table per profile and request, signers as rows."""
    lines = [
        "## Signer × verifier interop", "",
        "Each implementation signs the same request (one key, chain 1, `created` = "
        f"{CREATED}, `expires` = {EXPIRES}, nonce `{NONCE}`, its default components); each "
        "verifies every signer's output at `now` = `created` under the baseline policy. Rows "
        "sign, columns verify. A refusal links to the deviation that explains it: the "
        "verifier's where this project's verifier accepts the same bytes, otherwise the "
        "signer's. Written by `conformance/interop.py`.", "",
    ]
    for (profile, label), cells in matrix.items():
        lines += [f"**{profile}, {label}**", "",
                  "| signer \\ verifier | " + " | ".join(p.name for p in parties) + " |",
                  "| --- | " + " | ".join("---" for _ in parties) + " |"]
        for signer in parties:
            row = []
            for verifier in parties:
                cell = cells[signer.name, verifier.name]
                row.append(f"[{cell.text}]({cell.link})" if cell.link else cell.text)
            lines.append(f"| {signer.name} | " + " | ".join(row) + " |")
        lines.append("")
    return lines
