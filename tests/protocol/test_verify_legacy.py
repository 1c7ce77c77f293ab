"""The legacy profile (February text, keyid `erc8128:`): the draft's matrix replayed with
requests we sign, plus the rules where the two texts differ (SPEC.md "Decisions")."""

import base64
from dataclasses import replace

import pytest

from erc8128.crypto.secp256k1 import N
from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.accounts import UnavailableAccountState
from erc8128.protocol.keyid import parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Verified
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support import draft_fixture
from tests.support.draft_fixture import ADDRESS, PRIVATE_KEY, with_field, without
from tests.support.draft_fixture import field as field_value

NOW = 1700000001
LEGACY = VerifierPolicy(profiles=("legacy",))
BOTH = VerifierPolicy(profiles=("draft", "legacy"))
KEYID = f"erc8128:1:{ADDRESS}"


def base_request(target: str = "/items?view=full", body: bytes | None = b'{"hello":"world"}',
                 content_type: bool = True) -> Request:
    headers: tuple[tuple[str, str], ...] = (("Host", "api.example"),)
    if content_type:
        headers += (("Content-Type", "application/json"),)
    return Request("POST", "https://api.example" + target, headers, body)


def signed(request: Request | None = None, **kwargs: object) -> Request:
    options: dict[str, object] = {"created": 1700000000, "nonce": "n-legacy-1", "profile": "legacy"}
    options.update(kwargs)
    return sign_request(request or base_request(), PRIVATE_KEY, **options).request  # type: ignore[arg-type]


def verify(request: Request, **kwargs: object) -> Verified:
    kwargs.setdefault("policy", LEGACY)
    return draft_fixture.verify(request, **kwargs)


def rejects(request: Request, reason: str, **kwargs: object) -> VerificationError:
    kwargs.setdefault("policy", LEGACY)
    return draft_fixture.rejects(request, reason, **kwargs)


def signature_input(request: Request) -> str:
    return field_value(request, "signature-input")


def test_default_legacy_signature_shape() -> None:
    request = signed()
    value = signature_input(request)
    assert value == (
        'eth=("@authority" "@method" "@path" "@query" "content-digest");created=1700000000;'
        f'expires=1700000060;nonce="n-legacy-1";keyid="{KEYID}"'
    )
    result = verify(request)
    assert result.profile == "legacy"
    assert result.keyid == KEYID
    assert result.request_bound and not result.replayable and result.nonce_consumed


def test_no_query_no_body_needs_only_authority_method_path() -> None:
    request = signed(Request("GET", "https://api.example/items", (("Host", "api.example"),)))
    assert '("@authority" "@method" "@path")' in signature_input(request)
    assert verify(request).request_bound


def test_query_present_but_not_covered_is_insufficient_coverage() -> None:
    request = signed(components=["@authority", "@method", "@path", "content-digest"])
    rejects(request, "insufficient_coverage")
    assert verify(request, policy=replace(LEGACY, class_bound=True)).request_bound is False


def test_body_without_content_digest_coverage_is_insufficient_coverage() -> None:
    request = signed(components=["@authority", "@method", "@path", "@query"])
    rejects(request, "insufficient_coverage")


def test_authority_is_required_even_when_class_bound_is_allowed() -> None:
    request = signed()
    request = with_field(request, "Signature-Input",
                         signature_input(request).replace('"@authority" ', ""))
    rejects(request, "insufficient_coverage", policy=replace(LEGACY, class_bound=True))


def test_content_type_is_not_required_in_legacy() -> None:
    assert verify(signed()).covered_components[-1] == '"content-digest"'


def test_legacy_and_draft_do_not_cross() -> None:
    legacy_signed = signed()
    draft_signed = signed(profile="draft", nonce="n-draft-1")
    rejects(legacy_signed, "no_acceptable_signature", policy=VerifierPolicy())
    rejects(draft_signed, "no_acceptable_signature", policy=LEGACY)
    assert verify(legacy_signed, policy=BOTH).profile == "legacy"
    assert verify(draft_signed, policy=BOTH).profile == "draft"


def test_one_nonce_is_single_use_across_profiles() -> None:
    nonces = MemoryReplayStore()
    assert verify(signed(nonce="shared"), policy=BOTH, nonces=nonces).nonce_consumed
    rejects(signed(profile="draft", nonce="shared"), "nonce_reused", policy=BOTH, nonces=nonces)


def test_mixed_case_address_is_accepted_and_canonicalised() -> None:
    request = signed()
    checksummed = KEYID.replace(ADDRESS, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    request = with_field(request, "Signature-Input",
                         signature_input(request).replace(KEYID, checksummed))
    # The keyid is inside @signature-params, so the changed text breaks the signature ...
    rejects(request, "bad_signature")
    # ... while a signature made over the mixed-case keyid verifies and is canonicalised.
    assert parse_keyid(checksummed, "legacy").address == ADDRESS


@pytest.mark.parametrize(
    "keyid",
    [
        f"erc8128:01:{ADDRESS}",
        f"erc8128:1:{ADDRESS[2:]}",
        f"erc8128:1:0X{ADDRESS[2:]}",
        f"erc8128:1:{ADDRESS}0",
        f"erc8128::{ADDRESS}",
        f"erc8128:1:{ADDRESS} ",
        f"erc8128:+1:{ADDRESS}",
    ],
)
def test_invalid_legacy_keyid(keyid: str) -> None:
    request = signed()
    request = with_field(request, "Signature-Input", signature_input(request).replace(KEYID, keyid))
    rejects(request, "invalid_keyid")


# The draft's reason codes, in the legacy profile (decision D1: the newest text's codes).


def test_signature_missing() -> None:
    rejects(without(signed(), "Signature"), "signature_missing")


def test_signature_input_invalid() -> None:
    request = signed()
    rejects(with_field(request, "Signature-Input", signature_input(request) + " junk"),
            "signature_input_invalid")


def test_signature_too_large() -> None:
    request = signed()
    many = ", ".join(f"s{i}" + signature_input(request)[3:] for i in range(9))
    rejects(with_field(request, "Signature-Input", many), "signature_too_large")


def test_unsupported_chain() -> None:
    rejects(signed(chain_id=10), "unsupported_chain")


def test_invalid_time_and_window() -> None:
    request = signed()
    rejects(with_field(request, "Signature-Input",
                       signature_input(request).replace("expires=1700000060", "expires=1")),
            "invalid_time")
    rejects(request, "request_not_yet_valid", now=1700000000 - 31)
    rejects(request, "request_expired", now=1700000060 + 31)
    rejects(signed(expires=1700000301), "request_validity_too_long")


def test_invalid_nonce() -> None:
    rejects(signed(nonce="x" * 129), "invalid_nonce")


def test_content_digest_required_and_bad() -> None:
    request = signed()
    rejects(without(request, "Content-Digest"), "content_digest_required")
    rejects(replace(request, body=b"{}"), "bad_content_digest")


def test_replay_postures() -> None:
    replayable = signed(nonce=None, replayable=True)
    rejects(replayable, "nonce_required")
    either = replace(LEGACY, replay="either", replayable_allowed=lambda account: False)
    rejects(replayable, "replayable_not_allowed", policy=either,
            invalidation=MemoryInvalidationState())
    nonces = MemoryReplayStore()
    verify(signed(), nonces=nonces)
    rejects(signed(), "nonce_reused", nonces=nonces)


def test_alg_is_unsupported_algorithm() -> None:
    request = signed()
    rejects(with_field(request, "Signature-Input", signature_input(request) + ';alg="eip191"'),
            "unsupported_algorithm")


def test_bad_signature_and_unavailable_and_principal() -> None:
    request = signed()
    rejects(replace(request, target_uri="https://api.example/items?view=other"), "bad_signature")
    rejects(request, "signature_verification_unavailable", accounts=UnavailableAccountState())
    rejects(request, "principal_not_allowed",
            policy=replace(LEGACY, principal_allowed=lambda account: False))


def test_mode_eoa_is_not_a_legacy_parameter() -> None:
    request = signed(params={"mode": "eoa"})
    # Decision D8: legacy ignores `mode`, so the code lookup still happens.
    rejects(request, "signature_verification_unavailable", accounts=UnavailableAccountState())


def test_tag_is_ignored_in_legacy() -> None:
    request = signed(params={"tag": "my-app"})
    assert verify(request).profile == "legacy"


def test_high_s_signature_is_bad_signature() -> None:
    request = signed()
    raw = field_value(request, "signature")
    signature = base64.b64decode(raw[len("eth=:"):-1])
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high = r + (N - s).to_bytes(32, "big") + bytes([55 - v])
    request = with_field(request, "Signature", "eth=:" + base64.b64encode(high).decode() + ":")
    rejects(request, "bad_signature")
