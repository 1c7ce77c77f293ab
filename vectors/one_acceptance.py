"""Replay vectors for decisions D28 (one acceptance per request) and D29 (a private Principal
policy), kept apart from ``replay_vectors.py`` so that file can change without touching these.

``replay_vectors.py`` calls :func:`replay_groups` with its own ``_rt`` (one replay sequence, checked
against the reference implementation) and ``_policy`` (a complete vector policy); nothing here
writes a file.

- D28 (SPEC.md): the replay keys of every signature on a request that verifies are consumed in
  one atomic step, so a request carrying several valid signatures is accepted once, and none of
  its signatures can be presented again alone.
- D29 (SPEC.md): with ``principal_private`` the Principal policy is asked after cryptography, so
  a forged signature gets ``bad_signature`` whoever its keyid names, and a refused Principal
  (``principal_not_allowed``) still consumes no nonce.
"""

import base64
from collections.abc import Callable, Sequence
from typing import Any, Final

from erc8128.crypto.addresses import address_of
from erc8128.crypto.personal_sign import sign_message
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.sign import sign_request

__all__ = ["NOTES", "replay_groups"]

JsonObject = dict[str, Any]
Step = tuple[str, Request, int, str]
ReplayTest = Callable[..., JsonObject]
PolicyMaker = Callable[..., JsonObject]

NOW: Final = 1700000001
CREATED: Final = 1700000000
EXPIRES: Final = 1700000060
KEY_1: Final = (1).to_bytes(32, "big")
KEY_2: Final = (2).to_bytes(32, "big")
KEY_3: Final = (3).to_bytes(32, "big")
ADDRESS_1: Final = address_of(KEY_1)
ADDRESS_2: Final = address_of(KEY_2)

NOTES: Final[dict[str, str]] = {
    "OneAcceptance": "Decision D28: the replay keys of every signature on the request that "
    "verifies are consumed together, in one atomic step; a request is accepted at most once "
    "whatever the number of its signatures.",
    "PrivatePrincipal": "Decision D29: policy `principal_private` asks the Principal policy "
    "after cryptography and before nonce consumption.",
    "Extension": "Uses a policy field beyond the adapter protocol's list "
    "(`principal_private`); skip if unsupported.",
}


def _unsigned() -> Request:
    body = b'{"hello":"world"}'
    return Request(
        "POST",
        "https://api.example/items?view=full",
        (("Host", "api.example"), ("Content-Type", "application/json"),
         ("Content-Length", str(len(body)))),
        body,
    )


def _sign(request: Request, key: bytes, label: str, nonce: str,
          profile: ProfileName = "draft") -> Request:
    return sign_request(request, key, created=CREATED, expires=EXPIRES, profile=profile,
                        nonce=nonce, label=label).request


def _only(request: Request, label: str) -> Request:
    """``request`` with only the signature ``label`` kept (the others stripped)."""
    kept: list[tuple[str, str]] = []
    for name, value in request.headers:
        if name.lower() in ("signature-input", "signature") and not value.startswith(
            label + "="
        ):
            continue
        kept.append((name, value))
    return Request(request.method, request.target_uri, tuple(kept), request.body)


def _forged(request: Request, label: str, key: bytes) -> Request:
    """The signature ``label`` replaced by ``key``'s signature over the same base: the keyid
    still names the original signer, so the signature does not verify."""
    signature = sign_message(key, signature_base_for_label(request, label).encode("ascii"))
    headers = tuple(
        (name, f"{label}=:{base64.b64encode(signature).decode('ascii')}:")
        if name.lower() == "signature" and value.startswith(label + "=")
        else (name, value)
        for name, value in request.headers
    )
    return Request(request.method, request.target_uri, headers, request.body)


def _one_acceptance(rt: ReplayTest, policy: PolicyMaker) -> list[JsonObject]:
    draft = policy(profiles=["draft"])
    both = policy(profiles=["draft", "legacy"])
    unsigned = _unsigned()
    two_signers = _sign(_sign(unsigned, KEY_1, "a", "nonce-a"), KEY_2, "b", "nonce-b")
    two_profiles = _sign(_sign(unsigned, KEY_1, "d", "nonce-d"), KEY_1, "l", "nonce-l",
                         profile="legacy")
    only_a = _only(two_signers, "a")
    flags = ["SpecDecision", "OneAcceptance", "MultipleSignatures"]
    tests: list[JsonObject] = [
        rt("two signers on one request: the request is accepted once", flags, None, draft, [
            ("signatures a (key 1) and b (key 2): a wins, both nonces consumed", two_signers,
             NOW, "valid"),
            ("the same request again", two_signers, NOW, "nonce_reused"),
            ("signature b alone (a stripped)", _only(two_signers, "b"), NOW + 1,
             "nonce_reused"),
            ("signature a alone (b stripped)", only_a, NOW + 2, "nonce_reused"),
        ], decision="D28", requirement="d28-one-acceptance",
           # Draft §3.5: "The first candidate passing all checks and atomically consuming its
           # nonce, when present, wins": on the replay a fails nonce_reused and b wins, so the
           # text accepts one captured request once per signature (D87).
           text_outcomes={1: {
               "result": "valid", "requirement": "first-candidate-wins",
               "why": "by the text's rule one captured request carrying N valid signatures is "
                      "accepted N times, once per nonce; D28 accepts it once"}}),
        rt("one signer in both profiles, two nonces: the request is accepted once", flags, None,
           both, [
               ("draft d and legacy l signatures by key 1: d wins, both nonces consumed",
                two_profiles, NOW, "valid"),
               ("the same request again", two_profiles, NOW, "nonce_reused"),
               ("the legacy signature alone", _only(two_profiles, "l"), NOW + 1,
                "nonce_reused"),
           ], decision="D28", requirement="d28-one-acceptance"),
        rt("a request whose signature was already used is refused whole", flags, None, draft, [
            ("signature a alone", only_a, NOW, "valid"),
            ("signatures a and b: a was used, so nothing is consumed", two_signers, NOW + 1,
             "nonce_reused"),
        ], decision="D28", requirement="d28-one-acceptance"),
        rt("a failing second signature consumes nothing and does not block the first", flags,
           None, draft, [
               ("a valid, b forged: a wins", _forged(two_signers, "b", KEY_3), NOW, "valid"),
               ("signature b alone, genuine: its nonce is unused", _only(two_signers, "b"),
                NOW + 1, "valid"),
           ], decision="D28", requirement="d28-one-acceptance"),
    ]
    return tests


def _private_principal(rt: ReplayTest, policy: PolicyMaker) -> list[JsonObject]:
    unsigned = _unsigned()
    by_1 = _sign(unsigned, KEY_1, "sig", "nonce-1")
    by_2 = _sign(unsigned, KEY_2, "sig", "nonce-2")
    flags = ["SpecDecision", "PrivatePrincipal", "Extension"]
    private = policy(profiles=["draft"], denied_principals=[ADDRESS_2], principal_private=True)
    public = policy(profiles=["draft"], denied_principals=[ADDRESS_2])
    return [
        rt("private principal policy: a forged signature gets the same answer for an admitted "
           "and a refused principal", flags, None, private, [
               ("forged, keyid names key 1 (admitted)", _forged(by_1, "sig", KEY_3), NOW,
                "bad_signature"),
               ("forged, keyid names key 2 (refused)", _forged(by_2, "sig", KEY_3), NOW,
                "bad_signature"),
               ("genuine, key 2 (refused): principal_not_allowed, no nonce consumed", by_2, NOW,
                "principal_not_allowed"),
               ("genuine, key 1 (admitted)", by_1, NOW, "valid"),
           ], decision="D29", requirement="d29-membership-privacy"),
        rt("public principal policy (the draft's order): the refused principal is named before "
           "cryptography", ["SpecDecision", "PrivatePrincipal"], None, public, [
               ("forged, keyid names key 1 (admitted)", _forged(by_1, "sig", KEY_3), NOW,
                "bad_signature"),
               ("forged, keyid names key 2 (refused)", _forged(by_2, "sig", KEY_3), NOW,
                "principal_not_allowed"),
           ], decision="D29", requirement="d29-membership-privacy"),
    ]


def replay_groups(rt: ReplayTest, policy: PolicyMaker,
                  group: Callable[..., JsonObject]) -> Sequence[JsonObject]:
    """The replay.json groups for D28 and D29 (profile per test policy: ``profiles``)."""
    return [group("ReplaySequenceTest",
                  _one_acceptance(rt, policy) + _private_principal(rt, policy), profile=None)]
